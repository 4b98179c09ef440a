// Turns checked stages, in topological order, into `StageInstance`s: defaults filled (and
// inherited), the seed added where randomness is used, local input paths resolved and checked,
// output paths resolved, and every input checked for the kind of artifact it receives.
import Basics
import Foundation

struct StageCompiler {
    let seed: Int64
    /// Where relative paths from `--set` resolve: the directory of the recipe the user named.
    let projectDirectory: URL
    /// Each recipe file's directory, by display path: a relative path resolves against the
    /// directory of the file it is written in (so a parent recipe's paths work from its children).
    let fileDirectories: [String: URL]
    /// Where output paths may point.
    let outputPolicy: OutputPathPolicy
    var diagnostics: [Diagnostic] = []
    /// What each compiled stage produces.
    var produced: [String: ArtifactKind] = [:]
    var compiled: [String: StageInstance] = [:]
    var kinds: [String: String] = [:]
    /// Stages with an input of the wrong kind (later sense checks skip them).
    var kindErrors: Set<String> = []

    init(seed: Int64, projectDirectory: URL, fileDirectories: [String: URL], outputPolicy: OutputPathPolicy = .insideProject) {
        self.seed = seed
        self.outputPolicy = outputPolicy
        self.fileDirectories = fileDirectories
        self.projectDirectory = projectDirectory
    }

    mutating func compile(_ stage: CheckedStage, catalog: StageCatalog) -> StageInstance {
        let spec = stage.spec
        var params: [String: ParamValue] = [:]
        for param in spec.params {
            if let value = stage.written[param.key] {
                params[param.key] = value
            } else if stage.writtenLocations[param.key] == nil {
                if let inherited = inheritedValue(param, stage) {
                    params[param.key] = inherited
                } else if let value = param.defaultValue,
                          param.defaultUnlessSet.map({ stage.writtenLocations[$0] == nil }) ?? true {
                    params[param.key] = value
                }
            }
        }
        if spec.usesSeed { params["seed"] = .int(seed) }

        var inputFiles: [String: URL] = [:]
        var remoteInputs: [String: String] = [:]
        var outputPath: URL? = nil
        for param in spec.params {
            guard case .path(let use) = param.type, case .string(let written)? = params[param.key] else { continue }
            switch use {
            case .output:
                let location = stage.writtenLocations[param.key] ?? nil
                let url = resolve(written, writtenAt: location)
                outputPath = url
                params[param.key] = nil
                if outputPolicy == .insideProject,
                   let problem = OutputPathCheck.problem(written: written, resolved: url, project: projectDirectory,
                                                         at: location, keyPath: "stages.\(stage.name).\(param.key)") {
                    diagnostics.append(problem)
                }
                // An export names its file inside the GGUF and in the Modelfile's FROM line, so the
                // file name (not the directory) is part of what the stage produces, and of its key.
                if spec.kind == StageKind.export.rawValue { params["file_name"] = .string(url.lastPathComponent) }
            case .input(let directoryAllowed, let remoteAllowed):
                if written.hasPrefix("hf://") {
                    if !remoteAllowed {
                        diagnostics.append(Diagnostic(at: stage.writtenLocations[param.key] ?? nil, keyPath: "stages.\(stage.name).\(param.key)",
                                                      "`hf://` sources are not supported here; give a local file"))
                    }
                    // The planner pins it to a commit; the pin (not the text) feeds the cache key.
                    params[param.key] = nil
                    remoteInputs[param.key] = written
                    continue
                }
                let url = resolve(written, writtenAt: stage.writtenLocations[param.key] ?? nil)
                params[param.key] = nil
                inputFiles[param.key] = url
                checkExists(url, written: written, directoryAllowed: directoryAllowed,
                            at: stage.writtenLocations[param.key] ?? nil, keyPath: "stages.\(stage.name).\(param.key)")
            }
        }

        var inputs: [String: String] = [:]
        for input in stage.inputs {
            inputs[input.role] = input.stage
            checkKind(of: input, for: stage, params: params, catalog: catalog)
        }
        produced[stage.name] = spec.produces(with: params)
        kinds[stage.name] = spec.kind
        var keyLocations = stage.writtenLocations.compactMapValues { $0 }
        if spec.kind == StageKind.export.rawValue, let written = stage.writtenLocations["path"] ?? nil { keyLocations["file_name"] = written }
        for input in stage.inputs { keyLocations[input.role] = input.location }
        let instance = StageInstance(name: stage.name, kind: spec.kind, params: params, inputs: inputs,
                                     inputFiles: inputFiles, remoteInputs: remoteInputs, outputPath: outputPath, location: stage.location,
                                     keyLocations: keyLocations)
        compiled[stage.name] = instance
        return instance
    }

    /// Resolves a path against the directory of the file it was written in (absolute stays
    /// absolute; `~` expands).
    func resolve(_ written: String, writtenAt location: SourceLocation?) -> URL {
        let expanded = (written as NSString).expandingTildeInPath
        let base = location.flatMap { fileDirectories[$0.file] } ?? projectDirectory
        return URL(fileURLWithPath: expanded, relativeTo: base).standardizedFileURL.absoluteURL
    }

    private mutating func checkExists(_ url: URL, written: String, directoryAllowed: Bool, at location: SourceLocation?, keyPath: String) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            let relative = written.hasPrefix("/") || written.hasPrefix("~")
            diagnostics.append(Diagnostic(at: location, keyPath: keyPath, "no such \(directoryAllowed ? "file or directory" : "file"): \(written)",
                                          hint: relative ? nil : "relative paths resolve against the directory of the recipe file they are written in"))
        } else if isDirectory.boolValue && !directoryAllowed {
            diagnostics.append(Diagnostic(at: location, keyPath: keyPath, "\(written) is a directory; expected a file"))
        }
    }

    /// The value of an inherited param from the nearest upstream stage of the named kind.
    private func inheritedValue(_ param: ParamSpec, _ stage: CheckedStage) -> ParamValue? {
        guard let inherit = param.inherit else { return nil }
        var frontier = stage.inputs.map(\.stage)
        var seen: Set<String> = []
        while !frontier.isEmpty {
            let name = frontier.removeFirst()
            guard seen.insert(name).inserted, let upstream = compiled[name] else { continue }
            if upstream.kind == inherit.stageKind, let value = upstream.params[inherit.param] { return value }
            frontier += upstream.inputs.sorted(by: { $0.key < $1.key }).map(\.value)
        }
        return nil
    }

    /// Checks that the upstream stage produces what this input accepts, explaining the fix.
    private mutating func checkKind(of input: CheckedStage.Input, for stage: CheckedStage, params: [String: ParamValue], catalog: StageCatalog) {
        guard let role = stage.spec.input(input.role), let actual = produced[input.stage] else { return }
        let accepted = role.accepted(with: params)
        if accepted.contains(actual) { return }
        kindErrors.insert(stage.name)
        let wanted = accepted.sorted().map(\.noun)
        var wantedText = wanted.count <= 2 ? wanted.joined(separator: " or ")
            : wanted.dropLast().joined(separator: ", ") + " or " + wanted.last!
        let producers = catalog.specs.filter { spec in
            accepted.contains(spec.output) || spec.outputWhen.contains { accepted.contains($0.output) }
        }.map(\.kind)
        var hint = producers.isEmpty ? nil : "point `\(input.role)` at a \(Suggestions.list(producers)) stage"
        if accepted.isSuperset(of: ArtifactKind.anyModel) {
            wantedText = "a model"
            hint = "point `\(input.role)` at a stage that produces a model, such as a `load` stage"
        }
        if stage.spec.kind == StageKind.train.rawValue && input.role == "model" {
            hint = actual == .adapterModel
                ? "full training updates every weight; point `model` at an unquantized model, or use `mode: adapter`"
                : actual == .model ? "add a `lora` stage with `from: \(input.stage)` and train that, or set `mode: full`"
                : "add a `lora` stage with `from: \(input.stage)` and train that"
        }
        if actual == .quantizedModel || actual == .preparedModel, accepted == [.model] {
            hint = "`\(input.stage)` is already quantized; point `\(input.role)` at the unquantized model it came from"
        }
        diagnostics.append(Diagnostic(at: input.location, keyPath: "stages.\(stage.name).\(input.role)",
                                      "`\(stage.spec.kind)` needs \(wantedText) for `\(input.role)`, but `\(input.stage)` (\(kinds[input.stage] ?? "?")) produces \(actual.noun)",
                                      hint: hint))
    }

    /// The root stage a model came from, following inputs that carry models (for "merge into its base").
    func modelRoot(_ name: String) -> String {
        var current = name
        var seen: Set<String> = []
        while seen.insert(current).inserted, let instance = compiled[current] {
            let next = ["from", "model", "adapter"].compactMap { instance.inputs[$0] }.first
            guard let next else { break }
            current = next
        }
        return current
    }
}
