// Builds a Plan: hashes input files (memoized), computes each stage's key from its params, its
// inputs' keys and its files, checks the cache, and explains every RUN against the last run record.
import Basics
import Foundation
import Recipe

public struct Planner: Sendable {
    public let store: ArtifactStore
    public let registry: StageRegistry
    public let digester: FileDigester

    public init(store: ArtifactStore, registry: StageRegistry, digester: FileDigester) {
        self.store = store
        self.registry = registry
        self.digester = digester
    }

    /// Plans `recipe`. Throws `DiagnosticError` when an input file is missing or a stage refers to an
    /// unknown or later stage (the compiler should have caught that).
    public func plan(_ recipe: CompiledRecipe, previous: RunRecord?) throws -> Plan {
        var planned: [PlannedStage] = []
        var keys: [String: String] = [:]
        var problems: [Diagnostic] = []
        for stage in recipe.stages {
            var inputKeys: [String: String] = [:]
            for (role, upstream) in stage.inputs {
                if let key = keys[upstream] { inputKeys[role] = key } else {
                    problems.append(Diagnostic(at: stage.location, keyPath: "stages.\(stage.name).\(role)",
                                               "input `\(upstream)` is not a stage defined before `\(stage.name)`"))
                }
            }
            var files: [String: RunRecord.InputFile] = [:]
            for (keyPath, url) in stage.inputFiles {
                do {
                    files[keyPath] = RunRecord.InputFile(path: url.path, displayPath: Self.displayPath(url, in: recipe.projectDirectory),
                                                         digest: try digester.digest(of: url))
                } catch let error as RunnerError {
                    problems.append(Diagnostic(at: stage.location, keyPath: "stages.\(stage.name).\(keyPath)",
                                               "cannot read input \(Self.displayPath(url, in: recipe.projectDirectory)): \(error.message)",
                                               hint: "check the path (relative paths resolve against the recipe's directory)"))
                }
            }
            var stage = stage
            for (keyPath, source) in stage.remoteInputs.sorted(by: { $0.key < $1.key }) {
                do {
                    let pinned = try pin(source)
                    files[keyPath] = RunRecord.InputFile(path: pinned.source, displayPath: source, digest: pinned.digest)
                    stage.remoteInputs[keyPath] = pinned.source  // the stage reads exactly what was hashed
                } catch let error as RunnerError {
                    problems.append(Diagnostic(at: stage.keyLocations[keyPath] ?? stage.location, keyPath: "stages.\(stage.name).\(keyPath)",
                                               "cannot resolve \(source): \(error.message)", hint: error.hint))
                }
            }
            let version = registry.version(of: stage.kind)
            let keyInput = CacheKeyInput(kind: stage.kind, implementationVersion: version ?? 0, params: stage.params,
                                         inputKeys: inputKeys, fileDigests: files.mapValues(\.digest))
            let key = CacheKey.compute(keyInput)
            keys[stage.name] = key
            planned.append(PlannedStage(instance: stage, key: key, keyInput: keyInput, implementationVersion: version,
                                        action: store.lookup(key) != nil ? .cached : .run, explanations: [], files: files))
        }
        digester.save()
        if !problems.isEmpty { throw DiagnosticError(problems) }
        markSkippable(&planned)
        let byName = Dictionary(uniqueKeysWithValues: planned.map { ($0.name, $0) })
        for i in planned.indices where planned[i].action != .cached {
            planned[i].explanations = ChangeExplainer.reasons(for: planned[i], previous: previous?.stage(named: planned[i].name), planned: byName,
                                                         entryDamaged: store.entryExists(planned[i].key))
        }
        return Plan(recipe: recipe, stages: planned, previousRunID: previous?.id)
    }

    /// Pins a remote source through the registry's resolver (none: this build cannot read it).
    private func pin(_ source: String) throws -> PinnedRemoteSource {
        guard let resolver = registry.remoteSources else {
            throw RunnerError(source, "this build of runner cannot read remote sources", hint: "download it and give a local path")
        }
        return try resolver.pin(source)
    }

    /// A stage missing from the cache only needs to run if it has an output path, is used by nothing
    /// (a final stage), or is an ancestor of a stage that runs (stages may read their inputs' inputs,
    /// `InputArtifact.inputs`). Walk consumers before producers.
    private func markSkippable(_ planned: inout [PlannedStage]) {
        var consumers: [String: [Int]] = [:]
        for (i, stage) in planned.enumerated() {
            for upstream in Set(stage.instance.inputs.values) { consumers[upstream, default: []].append(i) }
        }
        var required = [Bool](repeating: false, count: planned.count)  // runs, or feeds one that runs
        for i in planned.indices.reversed() {
            let users = consumers[planned[i].name] ?? []
            let feedsARun = users.contains { required[$0] }
            if planned[i].action == .run {
                if planned[i].instance.outputPath != nil || users.isEmpty || feedsARun { required[i] = true } else { planned[i].action = .skip }
            } else {
                required[i] = feedsARun
            }
        }
    }

    /// `data/faq.json` for files under the project directory, else the absolute path.
    static func displayPath(_ url: URL, in project: URL) -> String {
        let path = url.standardizedFileURL.path
        let base = project.standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
