// `runner apply` fine-tunes end to end on a tiny random Llama (Tests/ModelsTests/Fixtures/tiny):
// load → quantize → prepare_kbit → lora → dataset → train → save, then a second apply is all cache hits.
import Foundation
import Pipeline
import RunnerTestSupport
import Testing

private let recipe = """
    version: 1
    name: tiny-finetune
    seed: 7
    stages:
      base: {kind: load, path: model, dtype: f32}
      quant: {kind: quantize, from: base}
      prep: {kind: prepare_kbit, from: quant}
      adapters: {kind: lora, from: prep, r: 4, alpha: 8, dropout: 0}
      data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64, eval_split: 0.25}
      tune: {kind: train, model: adapters, data: data, max_steps: 10, batch_size: 2, gradient_accumulation: 2,
             learning_rate: 0.01, scheduler: constant, eval_every: 5}
      out: {kind: save, from: tune, path: adapter}
    """

private func writeProject(_ p: Project) throws {
    p.write("recipe.yaml", recipe)
    try TinyModelFixture.writeModel(to: p.url("model"))
    p.write("data.jsonl", TinyModelFixture.colorsJSONL(sayRepeats: 3))
}

private struct Metrics: Decodable {
    struct Step: Decodable { var step: Int; var loss: Double; var learning_rate: Double; var grad_norm: Double }
    struct Eval: Decodable { var step: Int; var loss: Double }
    var steps: [Step]
    var eval: [Eval]
}

/// The train artifact's metrics.json, found in the cache.
private func trainMetrics(_ p: Project, key: String) throws -> Metrics {
    let walker = try #require(FileManager.default.enumerator(at: p.url(".runner"), includingPropertiesForKeys: nil))
    for case let url as URL in walker where url.lastPathComponent == "metrics.json" && url.path.contains(key) {
        return try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: url))
    }
    throw CocoaError(.fileNoSuchFile)
}

@Test func applyFineTunesATinyQLoRAAndCachesIt() throws {
    let p = Project(); defer { p.cleanup() }
    try writeProject(p)
    let first = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
    #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
    let run = try p.latestRun()
    let tune = try #require(run.stages.first { $0.name == "tune" })
    #expect(tune.outcome == .miss)
    #expect(tune.metrics["steps"] == 10)
    #expect(tune.metrics["eval_loss"] != nil)

    let metrics = try trainMetrics(p, key: tune.key)
    #expect(metrics.steps.map(\.step) == Array(1...10))
    #expect(metrics.steps.allSatisfy { step in step.learning_rate == 0.01 && step.grad_norm > 0 && step.loss.isFinite })
    let losses: [Double] = metrics.steps.map(\.loss)
    let firstThree: Double = losses[0..<3].reduce(0, +) / 3
    let lastThree: Double = losses[7..<10].reduce(0, +) / 3
    #expect(lastThree < firstThree - 0.5, "loss should fall: \(losses)")
    #expect(metrics.eval.map(\.step) == [5, 10])
    #expect(metrics.eval[1].loss < metrics.eval[0].loss, "eval loss should fall: \(metrics.eval)")

    // The saved adapter is PEFT's layout: config plus safetensors with PEFT tensor names.
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: p.url("adapter/adapter_config.json"))) as? [String: Any]
    #expect(config?["peft_type"] as? String == "LORA")
    #expect(config?["r"] as? Int == 4)
    #expect(config?["lora_alpha"] as? Double == 8)
    #expect(config?["target_modules"] as? [String] == ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"])
    let safetensors = try Data(contentsOf: p.url("adapter/adapter_model.safetensors"))
    let headerLength = Int(safetensors.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
    let header = try #require(try JSONSerialization.jsonObject(with: safetensors.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
    let names = Set(header.keys).subtracting(["__metadata__"])
    #expect(names.count == 2 * 7 * 2, "A and B for 7 modules in 2 layers")
    #expect(names.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"))
    #expect(names.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"))

    let second = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 60)
    #expect(second.status == 0, "\(second.stderr)")
    let cached = try p.latestRun()
    #expect(cached.id != run.id)
    #expect(cached.stages.allSatisfy { $0.outcome == .hit }, "\(cached.stages.map { "\($0.name): \($0.outcome)" })")
}

@Test func applyFullFineTuneGivesAModelThatGenerates() throws {
    let p = Project(); defer { p.cleanup() }
    try writeProject(p)
    p.write("recipe.yaml", """
        version: 1
        name: tiny-full
        seed: 7
        stages:
          base: {kind: load, path: model, dtype: f32}
          data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64}
          tune: {kind: train, model: base, data: data, mode: full, epochs: 2, batch_size: 4, learning_rate: 0.001,
                 optimizer: adamw_8bit, scheduler: cosine, warmup_steps: 1}
          gen: {kind: generate, model: tune, prompts: ["Say red:"], max_new_tokens: 4, chat: false}
        """)
    let result = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    let run = try p.latestRun()
    #expect(run.stage(named: "tune")?.metrics["steps"] == 8, "16 rows, batches of 4, 2 epochs")
    #expect(run.stage(named: "gen")?.metrics["new_tokens"] == 4)
}

@Test func divergingTrainingStopsWithAClearError() throws {
    let p = Project(); defer { p.cleanup() }
    try writeProject(p)
    p.write("recipe.yaml", """
        version: 1
        name: tiny-diverge
        stages:
          base: {kind: load, path: model, dtype: f32}
          data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64}
          tune: {kind: train, model: base, data: data, mode: full, max_steps: 20, batch_size: 4,
                 learning_rate: 1e30, optimizer: sgd, max_grad_norm: 0}
        """)
    let result = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 60)
    #expect(result.status == 3, "\(result.stderr)")
    #expect(result.stderr.contains("stage `tune` failed"))
    #expect(result.stderr.contains("became") && result.stderr.contains("at step 2 (lower learning_rate"), "\(result.stderr)")
    #expect(try p.latestRun().stage(named: "tune")?.outcome == .failed)
}
