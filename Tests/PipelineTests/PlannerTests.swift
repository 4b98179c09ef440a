// The planner's decisions and explanations, relative to the last run of the same recipe:
// a LoRA rank change re-runs lora → train → save only; a dataset edit re-runs dataset → train →
// save; `touch` re-runs nothing; new stages and implementation versions are named.
import Basics
import Foundation
import Pipeline
import PipelineTestStages
import Recipe
import Testing

private func apply(_ recipe: CompiledRecipe, _ s: Scratch, registry: StageRegistry? = nil) throws -> RunRecord {
    try Executor(store: s.store, registry: registry ?? TestStages.registry(trace: s.trace)).apply(recipe)
}

private func plan(_ recipe: CompiledRecipe, _ s: Scratch, registry: StageRegistry? = nil) throws -> Plan {
    try Executor(store: s.store, registry: registry ?? TestStages.registry(trace: s.trace)).plan(recipe)
}

private func actions(_ plan: Plan) -> [String: PlannedStage.Action] {
    Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.name, $0.action) })
}

@Test func firstPlanRunsEverythingAsNewStages() throws {
    let s = Scratch(); defer { s.cleanup() }
    writeFineTuneInputs(s)
    let p = try plan(fineTuneRecipe(in: s), s)
    #expect(p.previousRunID == nil)
    #expect(p.stages.allSatisfy { $0.action == .run && $0.reasons == ["new stage"] })
}

@Test func changingLoraRankRerunsLoraTrainSaveOnly() throws {
    let s = Scratch(); defer { s.cleanup() }
    writeFineTuneInputs(s)
    let first = try apply(fineTuneRecipe(in: s, rank: 16), s)
    #expect(first.status == .succeeded)

    let p = try plan(fineTuneRecipe(in: s, rank: 32), s)
    #expect(p.previousRunID == first.id)
    #expect(actions(p) == ["base": .cached, "quant": .cached, "data": .cached, "lora": .run, "train": .run, "save": .run])
    #expect(p.stage(named: "lora")?.reasons == ["lora.r: 16 → 32"])
    #expect(p.stage(named: "train")?.reasons == ["input `lora` re-runs"])
    #expect(p.stage(named: "save")?.reasons == ["input `train` re-runs"])

    let second = try apply(fineTuneRecipe(in: s, rank: 32), s)
    let outcomes = Dictionary(uniqueKeysWithValues: second.stages.map { ($0.name, $0.outcome) })
    #expect(outcomes == ["base": .hit, "quant": .hit, "data": .hit, "lora": .miss, "train": .miss, "save": .miss])
    #expect(s.trace.entries() == ["base", "quant", "lora", "data", "train", "save", "lora", "train", "save"])
}

@Test func editingTheDatasetRerunsDatasetAndWhatFollows() throws {
    let s = Scratch(); defer { s.cleanup() }
    writeFineTuneInputs(s)
    _ = try apply(fineTuneRecipe(in: s), s)
    s.write("data/faq.json", #"[{"q": "changed", "a": "yes"}]"#)
    let p = try plan(fineTuneRecipe(in: s), s)
    #expect(actions(p) == ["base": .cached, "quant": .cached, "lora": .cached, "data": .run, "train": .run, "save": .run])
    #expect(p.stage(named: "data")?.reasons == ["data/faq.json changed"])
    #expect(p.stage(named: "train")?.reasons == ["input `data` re-runs"])
}

@Test func touchingTheModelRerunsNothing() throws {
    let s = Scratch(); defer { s.cleanup() }
    writeFineTuneInputs(s)
    _ = try apply(fineTuneRecipe(in: s), s)
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: s.url("model.gguf").path)
    let p = try plan(fineTuneRecipe(in: s), s)
    #expect(p.stages.allSatisfy { $0.action == .cached })
    let record = try apply(fineTuneRecipe(in: s), s)
    #expect(record.stages.allSatisfy { $0.outcome == .hit })
}

@Test func implementationVersionAndNewStagesAreExplained() throws {
    let s = Scratch(); defer { s.cleanup() }
    _ = try apply(spineRecipe(in: s), s)

    struct SlowV2: StageImplementation {
        static let kind = "slow"
        static let version = 2
        func run(_ context: StageContext) throws -> StageResult { try SlowStage().run(context) }
    }
    var registry = TestStages.registry()
    registry.register(SlowV2())
    let extra = StageInstance(name: "d", kind: "concat", params: ["text": .string("more")], inputs: ["from": "a"])
    let p = try plan(spineRecipe(in: s, extra: [extra]), s, registry: registry)
    #expect(p.stage(named: "a")?.action == .cached)
    #expect(p.stage(named: "b")?.reasons == ["implementation version changed (1 → 2)"])
    #expect(p.stage(named: "c")?.reasons == ["input `b` re-runs"])
    #expect(p.stage(named: "d")?.reasons == ["new stage"])
}

@Test func uncachedStageWhoseUsersAreCachedIsSkipped() throws {
    let s = Scratch(); defer { s.cleanup() }
    _ = try apply(spineRecipe(in: s), s)
    let record = try RunStore(directory: s.store.runs).resolve("latest")
    try s.store.discard(try #require(record.stage(named: "b")).key)  // b vanished, c (its only user) is cached

    let p = try plan(spineRecipe(in: s), s)
    #expect(actions(p) == ["a": .cached, "b": .skip, "c": .cached])
    let again = try apply(spineRecipe(in: s), s)
    #expect(again.stages.map(\.outcome) == [.hit, .skipped, .hit])
    #expect(again.status == .succeeded)
}

@Test func missingInputFileIsADiagnosticWithTheKeyPath() throws {
    let s = Scratch(); defer { s.cleanup() }
    s.write("data/faq.json", "[]")
    let error = try #require(throws: DiagnosticError.self) { try plan(fineTuneRecipe(in: s), s) }
    #expect(error.diagnostics.count == 1)
    #expect(error.diagnostics[0].keyPath == "stages.base.path")
    #expect(error.diagnostics[0].message.contains("model.gguf"))
}

@Test func entryRemovedFromTheCacheIsExplained() throws {
    let s = Scratch(); defer { s.cleanup() }
    let record = try apply(spineRecipe(in: s), s)
    try s.store.discard(record.stages[2].key)
    let p = try plan(spineRecipe(in: s), s)
    #expect(actions(p) == ["a": .cached, "b": .cached, "c": .run])
    #expect(p.stage(named: "c")?.reasons == ["not in the cache (removed by `cache gc` or `cache verify`?)"])
}
