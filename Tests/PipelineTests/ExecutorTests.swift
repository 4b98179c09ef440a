// The executor: runs and publishes, reuses on the second apply, never publishes a failed or
// interrupted stage, materializes outputs without touching unrelated files, names stages that
// have no implementation, and builds a stage once when two applies race.
import Basics
import Foundation
import Pipeline
import PipelineTestStages
import Recipe
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Test func applyRunsThenReusesAndMaterializes() throws {
    let s = Scratch(); defer { s.cleanup() }
    s.write("out/unrelated.txt", "keep me")
    let events = EventLog()
    let first = try Executor(store: s.store, registry: TestStages.registry(trace: s.trace), observer: events).apply(spineRecipe(in: s))
    #expect(first.status == .succeeded)
    #expect(first.stages.map(\.outcome) == [.miss, .miss, .miss])
    #expect(s.read("out/c.txt") == "b 0\nb 1\nb 2\n!")
    #expect(s.read("out/unrelated.txt") == "keep me")
    #expect(first.stages[1].metrics == ["steps": 3])
    // Progress was reported: start at 0 and finish at 3 of 3.
    let progress = events.all.compactMap { if case .progress("b", let done, let total, _) = $0 { (done, total) } else { nil } }
    #expect(progress.first! == (0, 3) && progress.last! == (3, 3))

    let run = try RunStore(directory: s.store.runs).load(exactID: first.id)
    #expect(run.status == .succeeded && run.stages.count == 3)
    let log = try String(contentsOf: s.store.runs.appendingPathComponent(first.id).appendingPathComponent("log.txt"), encoding: .utf8)
    #expect(log.contains("b (slow): running — new stage"))

    let second = try Executor(store: s.store, registry: TestStages.registry(trace: s.trace)).apply(spineRecipe(in: s))
    #expect(second.stages.map(\.outcome) == [.hit, .hit, .hit])
    #expect(s.trace.entries() == ["a", "b", "c"])
    // The output is a hard link into the cache.
    let output = try FileManager.default.attributesOfItem(atPath: s.url("out/c.txt").path)
    #expect((output[.referenceCount] as? Int ?? 0) >= 2)
}

@Test func failingStagePublishesNothingAndRecordsTheFailure() throws {
    let s = Scratch(); defer { s.cleanup() }
    let failing = StageInstance(name: "boom", kind: "fail", params: ["message": .string("disk on fire")], inputs: ["from": "a"])
    let record = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s, extra: [failing]))
    #expect(record.status == .failed)
    #expect(record.error == "stage `boom` failed: disk on fire")
    #expect(record.stages.map(\.outcome) == [.miss, .miss, .miss, .failed])
    #expect(s.store.lookup(record.stages[3].key) == nil)
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.store.temporary.path).isEmpty)
}

@Test func cancellationInterruptsTheStageAndPublishesNothing() throws {
    let s = Scratch(); defer { s.cleanup() }
    let cancellation = CancellationFlag()
    /// Cancels once stage b has made some progress.
    final class CancelAfterProgress: ExecutionObserver, @unchecked Sendable {
        let flag: CancellationFlag
        init(_ flag: CancellationFlag) { self.flag = flag }
        func handle(_ event: ExecutionEvent) {
            if case .progress("b", let done, _, _) = event, done >= 2 { flag.cancel() }
        }
    }
    let recipe = spineRecipe(in: s, steps: 50)
    let record = try Executor(store: s.store, registry: TestStages.registry(), observer: CancelAfterProgress(cancellation),
                              cancellation: cancellation).apply(recipe)
    #expect(record.status == .interrupted)
    #expect(record.stages.map(\.outcome) == [.miss, .interrupted, .pending])
    #expect(s.store.lookup(record.stages[1].key) == nil)
    #expect(s.read("out/c.txt") == nil)

    let again = try Executor(store: s.store, registry: TestStages.registry()).apply(recipe)
    #expect(again.stages.map(\.outcome) == [.hit, .miss, .miss])
    let plan = try Executor(store: s.store, registry: TestStages.registry()).plan(recipe)
    #expect(plan.stages.allSatisfy { $0.action == .cached })
}

@Test func interruptedStageIsExplainedInTheNextPlan() throws {
    let s = Scratch(); defer { s.cleanup() }
    let cancellation = CancellationFlag()
    cancellation.cancel()
    let record = try Executor(store: s.store, registry: TestStages.registry(), cancellation: cancellation).apply(spineRecipe(in: s))
    #expect(record.status == .interrupted && record.stages.allSatisfy { $0.outcome == .pending })
    let plan = try Executor(store: s.store, registry: TestStages.registry()).plan(spineRecipe(in: s))
    #expect(plan.stage(named: "a")?.reasons == ["did not finish in the last run"])
}

@Test func stageWithoutImplementationIsNamedBeforeAnythingRuns() throws {
    let s = Scratch(); defer { s.cleanup() }
    writeFineTuneInputs(s)
    let error = try #require(throws: DiagnosticError.self) {
        try Executor(store: s.store, registry: StageRegistry([ConcatStage()])).apply(fineTuneRecipe(in: s))
    }
    #expect(error.diagnostics.count == 6)
    #expect(error.diagnostics[0].description.contains("stage `base` needs to run, but this build of runner has no implementation of kind `load`"))
    #expect(RunStore(directory: s.store.runs).all().isEmpty)
}

@Test func manyFilesArePublishedAndVerified() throws {
    let s = Scratch(); defer { s.cleanup() }
    s.write("out/files/mine.txt", "a user's file inside the output directory")
    let stage = StageInstance(name: "files", kind: "many_files", params: ["count": .int(300)], outputPath: s.url("out/files"))
    let recipe = CompiledRecipe(name: "many", version: 1, seed: 0, file: s.url("r.yaml"), projectDirectory: s.root, stages: [stage], resolved: .null)
    let record = try Executor(store: s.store, registry: TestStages.registry()).apply(recipe)
    #expect(record.status == .succeeded)
    let artifact = try #require(s.store.lookup(record.stages[0].key))
    #expect(artifact.manifest.files.count == 300)
    #expect(s.read("out/files/d3/f10.txt") == "file 10 of 300\n")
    #expect(s.read("out/files/mine.txt") == "a user's file inside the output directory")
    #expect(s.store.verify(dryRun: true).problems.isEmpty)
}

@Test func materializingOverADirectoryWithAFileIsAClearFailure() throws {
    let s = Scratch(); defer { s.cleanup() }
    try FileManager.default.createDirectory(at: s.url("out/c.txt"), withIntermediateDirectories: true)
    let record = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s))
    #expect(record.status == .failed)
    #expect(record.error?.contains("is a directory, but stage `c` produces a file") == true)
}

@Test func twoConcurrentAppliesBuildEachStageOnce() async throws {
    let s = Scratch(); defer { s.cleanup() }
    let recipe = spineRecipe(in: s, steps: 20)
    let store = s.store, trace = s.trace
    async let one = Task.detached { try Executor(store: store, registry: TestStages.registry(trace: trace)).apply(recipe) }.value
    async let two = Task.detached { try Executor(store: store, registry: TestStages.registry(trace: trace)).apply(recipe) }.value
    let records = try await [one, two]
    #expect(records.allSatisfy { $0.status == .succeeded })
    #expect(trace.entries().sorted() == ["a", "b", "c"])
    let outcomes = records.flatMap { $0.stages.map(\.outcome) }
    #expect(outcomes.filter { $0 == .miss }.count == 3 && outcomes.filter { $0 == .hit }.count == 3)
}

@Test func damagedEntryIsRebuiltNotUsed() throws {
    let s = Scratch(); defer { s.cleanup() }
    let first = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s))
    let key = first.stages[2].key
    let file = try #require(s.store.lookup(key)).data.appendingPathComponent("out.txt")
    chmod(file.path, 0o644)
    try Data("b 0\n".utf8).write(to: file)  // truncated behind the cache's back
    let plan = try Executor(store: s.store, registry: TestStages.registry()).plan(spineRecipe(in: s))
    #expect(plan.stages.map(\.action) == [.cached, .cached, .run])
    #expect(plan.stage(named: "c")?.reasons == ["cache entry is incomplete or damaged; rebuilding"])
    let second = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s))
    #expect(second.stages.map(\.outcome) == [.hit, .hit, .miss])
    let rebuilt = try #require(s.store.lookup(key))
    #expect(try String(contentsOf: rebuilt.data.appendingPathComponent("out.txt"), encoding: .utf8) == "b 0\nb 1\nb 2\n!")
    #expect(s.read("out/c.txt") == "b 0\nb 1\nb 2\n!")
}

/// `grand`: writes its input's input's out.txt (reaching through `InputArtifact.upstream`).
private struct GrandparentStage: StageImplementation {
    static let kind = "grand"
    static let version = 1
    func run(_ context: StageContext) throws -> StageResult {
        let grandparent = try context.input("from").upstream("from")
        try FileManager.default.copyItem(at: grandparent.file("out.txt"), to: context.outputDirectory.appendingPathComponent("out.txt"))
        try Data((try context.string("suffix")).utf8).write(to: context.outputDirectory.appendingPathComponent("suffix.txt"))
        return StageResult()
    }
}

@Test func stagesReachTheirInputsInputsAndTheyAreRebuiltWhenMissing() throws {
    let s = Scratch(); defer { s.cleanup() }
    func recipe(_ suffix: String) -> CompiledRecipe {
        CompiledRecipe(name: "chain", version: 1, seed: 0, file: s.url("c.yaml"), projectDirectory: s.root, stages: [
            StageInstance(name: "a", kind: "concat", params: ["text": .string("from a")]),
            StageInstance(name: "b", kind: "concat", params: ["text": .string("+b")], inputs: ["from": "a"]),
            StageInstance(name: "c", kind: "grand", params: ["suffix": .string(suffix)], inputs: ["from": "b"]),
        ], resolved: .null)
    }
    var registry = TestStages.registry()
    registry.register(GrandparentStage())
    let first = try Executor(store: s.store, registry: registry).apply(recipe("1"))
    #expect(try String(contentsOf: try #require(s.store.lookup(first.stages[2].key)).data.appendingPathComponent("out.txt"), encoding: .utf8) == "from a")

    try s.store.discard(first.stages[0].key)  // a is gone; b is cached; c must re-run and needs a
    let plan = try Executor(store: s.store, registry: registry).plan(recipe("2"))
    #expect(plan.stages.map(\.action) == [.run, .cached, .run])
    let second = try Executor(store: s.store, registry: registry).apply(recipe("2"))
    #expect(second.stages.map(\.outcome) == [.miss, .hit, .miss])
    #expect(second.status == .succeeded)
}
