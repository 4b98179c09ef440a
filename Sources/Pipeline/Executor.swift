// `apply`: plans a recipe, then for each stage in order reuses the cached artifact or runs the
// stage into a build directory and publishes it atomically (dropping the stage's resume
// checkpoints), materializes requested outputs, and keeps the run record current after every stage
// (so even a killed run leaves an honest record).
import Basics
import Foundation
import Recipe

public final class Executor: @unchecked Sendable {
    public let store: ArtifactStore
    public let registry: StageRegistry
    public let observer: any ExecutionObserver
    public let cancellation: CancellationFlag
    public let toolVersion: String
    /// How often a run waiting for another run's build lock checks for Ctrl-C.
    var lockPollInterval: TimeInterval = 0.05

    public init(store: ArtifactStore, registry: StageRegistry, observer: any ExecutionObserver = ObserverGroup([]),
                cancellation: CancellationFlag = CancellationFlag(), toolVersion: String = RunnerVersion.current) {
        self.store = store
        self.registry = registry
        self.observer = observer
        self.cancellation = cancellation
        self.toolVersion = toolVersion
    }

    /// Plans without running (what `runner plan` shows).
    public func plan(_ recipe: CompiledRecipe) throws -> Plan {
        try store.prepare()
        let previous = RunStore(directory: store.runs).latest(recipeName: recipe.name)
        return try Planner(store: store, registry: registry, digester: FileDigester(memoURL: store.memoURL)).plan(recipe, previous: previous)
    }

    /// Runs `recipe`. Throws `DiagnosticError` before anything runs when inputs are missing or a stage
    /// that must run has no implementation; otherwise returns the run record, whose `status` says
    /// whether it succeeded, a stage failed, or it was interrupted.
    public func apply(_ recipe: CompiledRecipe) throws -> RunRecord {
        let started = Date()
        try store.prepare()
        store.sweepAllTemporaries()  // build directories of crashed runs (only keys nobody is building)
        let runs = RunStore(directory: store.runs)
        let previous = runs.latest(recipeName: recipe.name)
        let planner = Planner(store: store, registry: registry, digester: FileDigester(memoURL: store.memoURL))
        let (plan, useLocks) = try planAndLock(recipe, planner: planner, previous: previous)
        defer { useLocks.forEach { $0.release() } }

        let missing = plan.unimplemented
        if !missing.isEmpty {
            throw DiagnosticError(missing.map {
                Diagnostic(at: $0.instance.location, keyPath: "stages.\($0.name)",
                           "stage `\($0.name)` needs to run, but this build of runner has no implementation of kind `\($0.kind)`",
                           hint: registry.kinds.isEmpty ? "no stage kinds are available" : "available kinds: \(registry.kinds.joined(separator: ", "))")
            })
        }

        let (id, runDirectory) = try runs.createRun(recipeName: recipe.name, at: started)
        let log = RunLog(url: runDirectory.appendingPathComponent("log.txt"))
        let events = ObserverGroup([log, observer])
        var record = RunRecord(
            id: id, recipeName: recipe.name, recipeFile: recipe.file.path, recipeVersion: recipe.version, seed: recipe.seed,
            resolved: JSONValue(recipe.resolved), git: .of(directory: recipe.projectDirectory), toolVersion: toolVersion,
            cacheDirectory: store.root.path, startedAt: Timestamp.iso(started), finishedAt: nil, seconds: nil,
            status: .running, error: nil, stages: plan.stages.map { Self.stageRecord($0, plan: plan) })
        try runs.write(record)
        events.handle(.runStarted(runID: id, stageCount: plan.stages.count))

        var artifacts: [String: Artifact] = [:]
        for (index, planned) in plan.stages.enumerated() {
            if cancellation.isCancelled {
                record.status = .interrupted
                break
            }
            let outcome = runOrReuse(planned, index: index, plan: plan, artifacts: &artifacts, events: events)
            record.stages[index].outcome = outcome.outcome
            record.stages[index].seconds = outcome.seconds
            record.stages[index].metrics = outcome.metrics
            record.stages[index].error = outcome.error
            if outcome.outcome == .failed || outcome.outcome == .interrupted {
                record.status = outcome.outcome == .failed ? .failed : .interrupted
                record.error = outcome.outcome == .failed ? "stage `\(planned.name)` failed: \(outcome.error ?? "unknown error")" : "interrupted during stage `\(planned.name)`"
                try? runs.write(record)
                break
            }
            try? runs.write(record)
        }
        if record.status == .running { record.status = .succeeded }
        let finished = Date()
        record.finishedAt = Timestamp.iso(finished)
        record.seconds = finished.timeIntervalSince(started)
        do { try runs.write(record) } catch {
            // A failed run's own error comes first (a full disk often fails both): keep it, add this.
            guard record.status != .succeeded else { throw error }
            record.error = (record.error ?? "the run did not finish") + "; also, the run record could not be updated: \(error)"
        }
        events.handle(.runFinished(status: record.status, seconds: record.seconds ?? 0))
        return record
    }

    /// Plans, takes a shared use lock on every key (so `cache gc` cannot delete them under us), and
    /// re-plans under the locks; retries if an input file changed meanwhile.
    private func planAndLock(_ recipe: CompiledRecipe, planner: Planner, previous: RunRecord?) throws -> (Plan, [FileLock]) {
        var plan = try planner.plan(recipe, previous: previous)
        for _ in 0 ..< 3 {
            let locks = try Set(plan.stages.map(\.key)).sorted().compactMap { try store.lockForUse($0) }
            let again = try planner.plan(recipe, previous: previous)
            if again.stages.map(\.key) == plan.stages.map(\.key) { return (again, locks) }
            locks.forEach { $0.release() }
            plan = again
        }
        throw RunnerError(recipe.file.path, "input files keep changing while planning", hint: "wait until they are written, then run again")
    }

    private struct StageOutcome {
        var outcome: RunRecord.Outcome
        var seconds: Double? = nil
        var metrics: [String: Double] = [:]
        var error: String? = nil
    }

    private func runOrReuse(_ planned: PlannedStage, index: Int, plan: Plan,
                            artifacts: inout [String: Artifact], events: ObserverGroup) -> StageOutcome {
        if planned.action == .skip {
            events.handle(.stageSkipped(name: planned.name, index: index, reason: planned.reasons.first ?? "not needed"))
            return StageOutcome(outcome: .skipped)
        }
        var result: StageOutcome
        if let artifact = store.lookup(planned.key) {
            artifacts[planned.name] = artifact
            events.handle(.stageCached(name: planned.name, index: index, builtElsewhere: false))
            result = StageOutcome(outcome: .hit, metrics: artifact.manifest.metrics)
        } else {
            result = build(planned, index: index, plan: plan, artifacts: &artifacts, events: events)
        }
        if let destination = planned.instance.outputPath, let artifact = artifacts[planned.name] {
            do {
                try Materializer.materialize(artifact, at: destination, inside: planned.instance.outputRoot)
                events.handle(.materialized(name: planned.name, path: destination.path))
            } catch {
                let message = NoSpaceError.matches(error)
                    ? NoSpaceError.outputMessage(stage: planned.name, destination: destination, error: error) : Self.describe(error)
                events.handle(.stageFailed(name: planned.name, message: message))
                result.outcome = .failed
                result.error = message
            }
        }
        return result
    }

    /// Takes the build lock (waiting for a concurrent builder, then reusing its entry), runs the
    /// implementation into a fresh build directory and publishes the result.
    private func build(_ planned: PlannedStage, index: Int, plan: Plan,
                       artifacts: inout [String: Artifact], events: ObserverGroup) -> StageOutcome {
        let buildLock: FileLock
        do {
            guard let lock = try waitForBuildLock(planned, events: events) else { return StageOutcome(outcome: .interrupted) }
            buildLock = lock
        } catch {
            return StageOutcome(outcome: .failed, error: Self.describe(error))
        }
        defer { buildLock.release() }
        if let artifact = store.lookup(planned.key) {
            artifacts[planned.name] = artifact
            events.handle(.stageCached(name: planned.name, index: index, builtElsewhere: true))
            return StageOutcome(outcome: .hit, metrics: artifact.manifest.metrics)
        }
        guard let implementation = registry.implementation(for: planned.kind) else {
            return StageOutcome(outcome: .failed, error: "no implementation of kind `\(planned.kind)`")
        }
        var inputs: [String: InputArtifact] = [:]
        for (role, upstream) in planned.instance.inputs {
            guard let artifact = Self.inputArtifact(upstream, artifacts: artifacts, plan: plan) else {
                return StageOutcome(outcome: .failed, error: "input `\(upstream)` is not available")
            }
            inputs[role] = artifact
        }

        events.handle(.stageStarted(name: planned.name, kind: planned.kind, index: index, reasons: planned.reasons))
        let started = Date()
        var buildDirectory: URL?
        do {
            let directory = try store.makeBuildDirectory(for: planned.key)
            buildDirectory = directory
            let context = StageContext(stage: planned.instance, inputs: inputs, outputDirectory: directory.appendingPathComponent("data"),
                                       seed: plan.recipe.seed, projectDirectory: plan.recipe.projectDirectory,
                                       progress: StageProgress(stageName: planned.name, observer: events), cancellation: cancellation,
                                       cacheKey: planned.key, checkpointDirectory: store.checkpointDirectory(for: planned.key))
            let result = try implementation.run(context)
            let seconds = Date().timeIntervalSince(started)
            let files = try store.describeFiles(in: directory)
            if let primary = result.primaryFile, !files.contains(where: { $0.path == primary }) {
                throw RunnerError("stage `\(planned.name)`", "declared primary file `\(primary)` but did not write it")
            }
            let manifest = ArtifactManifest(
                format: ArtifactManifest.currentFormat, key: planned.key, keyScheme: CacheKey.scheme, stageName: planned.name,
                kind: planned.kind, implementationVersion: planned.keyInput.implementationVersion,
                params: ParamValue.map(planned.instance.params).canonicalJSON, inputKeys: planned.keyInput.inputKeys,
                inputFiles: planned.keyInput.fileDigests, files: files, primaryFile: result.primaryFile,
                toolVersion: toolVersion, createdAt: Timestamp.iso(Date()), seconds: seconds, metrics: result.metrics)
            let artifact = try store.publish(directory, manifest: manifest)
            ArtifactStore.removeTree(store.checkpointDirectory(for: planned.key))  // resumable state is moot once published
            artifacts[planned.name] = artifact
            events.handle(.stageFinished(name: planned.name, seconds: seconds, metrics: result.metrics))
            return StageOutcome(outcome: .miss, seconds: seconds, metrics: result.metrics)
        } catch {
            if let buildDirectory { ArtifactStore.removeTree(buildDirectory) }
            let seconds = Date().timeIntervalSince(started)
            if error is StageCancelled || cancellation.isCancelled {
                events.handle(.stageFailed(name: planned.name, message: "interrupted"))
                return StageOutcome(outcome: .interrupted, seconds: seconds, error: "interrupted")
            }
            let message = NoSpaceError.matches(error)
                ? NoSpaceError.stageMessage(stage: planned.name, cacheRoot: store.root, error: error) : Self.describe(error)
            events.handle(.stageFailed(name: planned.name, message: message))
            return StageOutcome(outcome: .failed, seconds: seconds, error: message)
        }
    }

    /// Polls for the build lock so Ctrl-C still works while another run builds the same stage.
    /// Returns nil when interrupted while waiting.
    private func waitForBuildLock(_ planned: PlannedStage, events: ObserverGroup) throws -> FileLock? {
        if let lock = try store.lockForBuild(planned.key, blocking: false) { return lock }
        events.handle(.waitingForLock(name: planned.name))
        while !cancellation.isCancelled {
            Thread.sleep(forTimeInterval: lockPollInterval)
            if let lock = try store.lockForBuild(planned.key, blocking: false) { return lock }
        }
        return nil
    }

    /// The artifact of stage `name` with its own inputs, recursively (ancestors of a running stage
    /// are always available: the planner never skips them).
    static func inputArtifact(_ name: String, artifacts: [String: Artifact], plan: Plan) -> InputArtifact? {
        guard let artifact = artifacts[name] else { return nil }
        var inputs: [String: InputArtifact] = [:]
        for (role, upstream) in plan.stage(named: name)?.instance.inputs ?? [:] {
            inputs[role] = inputArtifact(upstream, artifacts: artifacts, plan: plan)
        }
        return InputArtifact(stageName: name, key: artifact.key, directory: artifact.data, manifest: artifact.manifest, inputs: inputs)
    }

    static func stageRecord(_ planned: PlannedStage, plan: Plan) -> RunRecord.Stage {
        RunRecord.Stage(
            name: planned.name, kind: planned.kind, key: planned.key, implementationVersion: planned.implementationVersion,
            params: ParamFlattening.flatten(planned.instance.params),
            inputs: planned.instance.inputs.compactMapValues { upstream in
                plan.stage(named: upstream).map { RunRecord.InputRef(stage: upstream, key: $0.key) }
            },
            files: planned.files, outcome: .pending, seconds: nil, metrics: [:], outputPath: planned.instance.outputPath?.path, error: nil)
    }

    /// One line for users: RunnerError and DiagnosticError render themselves.
    static func describe(_ error: any Error) -> String {
        String(describing: error)
    }
}
