// `runner plan --json` on the built-in fine-tuning recipe, after a real `apply` (test-only stage
// implementations): LoRA rank change, dataset edit, `touch` of the model.
import Foundation
import Pipeline
import Testing

private struct PlanJSON: Decodable {
    struct Stage: Decodable {
        var name: String
        var kind: String
        var key: String
        var action: String
        var reasons: [String]
    }

    var recipe: String
    var previousRun: String?
    var stages: [Stage]

    var actions: [String: String] { Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0.action) }) }
    func reasons(_ name: String) -> [String] { stages.first { $0.name == name }?.reasons ?? [] }
}

private func plan(_ p: Project, _ extra: [String] = []) throws -> PlanJSON {
    let result = try p.run(["plan", "recipe.yaml", "--json"] + extra)
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONDecoder().decode(PlanJSON.self, from: Data(result.stdout.utf8))
}

@Test func changingOnlyTheLoraRankRerunsLoraTrainSave() throws {
    let p = Project(); defer { p.cleanup() }
    writeFineTuneProject(p)
    let first = try plan(p)
    #expect(first.previousRun == nil && first.stages.allSatisfy { $0.action == "RUN" && $0.reasons == ["new stage"] })
    #expect(first.stages.map(\.name) == ["base", "data", "quant", "lora", "train", "save"])
    let applied = try p.run(["apply", "recipe.yaml"])
    #expect(applied.status == 0, "\(applied.stderr)")
    #expect(p.read("out/adapter") != nil)

    let changed = try plan(p, ["--set", "stages.lora.r=32"])
    #expect(changed.actions == ["base": "CACHED", "quant": "CACHED", "data": "CACHED", "lora": "RUN", "train": "RUN", "save": "RUN"])
    #expect(changed.reasons("lora") == ["lora.r: 16 → 32"])
    #expect(changed.reasons("train") == ["input `lora` re-runs"])
    #expect(changed.reasons("save") == ["input `train` re-runs"])
    let explained = try p.run(["plan", "recipe.yaml", "--explain", "--set", "stages.lora.r=32"])
    #expect(explained.stdout.contains("RUN    lora   lora      lora.r: 16 → 32 (at --set[1]:"))
    #expect(explained.stdout.contains("input `lora` re-runs (at recipe.yaml:9:"))  // where train's `model: lora` is

    let second = try p.run(["apply", "recipe.yaml", "--set", "stages.lora.r=32"])
    #expect(second.status == 0, "\(second.stderr)")
    let record = try p.latestRun()
    let outcomes = Dictionary(uniqueKeysWithValues: record.stages.map { ($0.name, $0.outcome) })
    #expect(outcomes == ["base": .hit, "quant": .hit, "data": .hit, "lora": .miss, "train": .miss, "save": .miss])
    #expect(record.stage(named: "lora")?.params["r"] == "32")
    #expect(p.trace == ["base", "data", "quant", "lora", "train", "save", "lora", "train", "save"])
}

@Test func changingTheDatasetBytesRerunsDatasetAndWhatFollows() throws {
    let p = Project(); defer { p.cleanup() }
    writeFineTuneProject(p)
    #expect(try p.run(["apply", "recipe.yaml"]).status == 0)
    p.write("data/faq.json", #"[{"instruction": "changed", "output": "bytes"}]"#)
    let changed = try plan(p)
    #expect(changed.actions == ["base": "CACHED", "quant": "CACHED", "lora": "CACHED", "data": "RUN", "train": "RUN", "save": "RUN"])
    #expect(changed.reasons("data") == ["data/faq.json changed"])
    #expect(try p.run(["plan", "recipe.yaml", "--explain"]).stdout.contains("data/faq.json changed (at recipe.yaml:8:"))
    #expect(changed.reasons("train") == ["input `data` re-runs"])
}

@Test func touchingTheModelRerunsNothing() throws {
    let p = Project(); defer { p.cleanup() }
    writeFineTuneProject(p)
    #expect(try p.run(["apply", "recipe.yaml"]).status == 0)
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 120)], ofItemAtPath: p.url("model.gguf").path)
    let after = try plan(p)
    #expect(after.stages.allSatisfy { $0.action == "CACHED" })
    let text = try p.run(["plan", "recipe.yaml"])
    #expect(text.stdout.contains("0 to run, 6 cached"))
    #expect(try p.run(["apply", "recipe.yaml"]).status == 0)
    #expect(try p.latestRun().stages.allSatisfy { $0.outcome == .hit })
    #expect(p.trace.count == 6)
}
