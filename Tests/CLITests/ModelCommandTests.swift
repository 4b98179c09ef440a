// `runner tokenize` and `runner generate` on the real SmolLM2 model, checked against what
// transformers produced for the same prompts (Tests/ModelsTests/Fixtures/smollm2/reference.json,
// written by tools/reference/model_fixtures.py).
import Foundation
import RunnerTestSupport
import Testing

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let smolLM2 = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")

private struct Reference: Decodable {
    struct Record: Decodable {
        var text: String
        var tokens: [Int32]
        var greedy64: [Int32]
    }
    var eos_token_id: Int32
    var records: [Record]
}

private func reference() throws -> Reference {
    let url = packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/smollm2/reference.json")
    return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
}

private func requireModel() throws {
    try #require(FileManager.default.fileExists(atPath: smolLM2.path), "models/SmolLM2-135M-Instruct.Q4_1.gguf is missing: run scripts/bootstrap.sh")
}

private struct TokenizeOutput: Decodable { var ids: [Int32]; var pieces: [String] }

private func tokenize(_ text: String, in project: Project) throws -> [Int32] {
    let result = try project.run(["tokenize", "--model", smolLM2.path, "--text", text, "--json"], binary: "runner")
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONDecoder().decode(TokenizeOutput.self, from: Data(result.stdout.utf8)).ids
}

@Test func tokenizeGivesTransformersIdsForChatPrompts() throws {
    try requireModel()
    let project = Project()
    defer { project.cleanup() }
    for record in try reference().records {
        #expect(try tokenize(record.text, in: project) == record.tokens, "\(record.text.prefix(60))")
    }
}

@Test func tokenizePrintsPiecesAndRejectsBadArguments() throws {
    try requireModel()
    let project = Project()
    defer { project.cleanup() }
    let listing = try project.run(["tokenize", "--model", smolLM2.path, "--text", "Hello world"], binary: "runner")
    #expect(listing.status == 0)
    #expect(listing.stdout.contains("'Hello'") && listing.stdout.contains("' world'"))
    let both = try project.run(["tokenize", "--model", smolLM2.path, "--text", "a", "--file", "b"], binary: "runner")
    #expect(both.status == 2)
    #expect(both.stderr.contains("exactly one of --text and --file"))
    let missing = try project.run(["tokenize", "--model", "nope.gguf", "--text", "a"], binary: "runner")
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nope.gguf: no such file or directory"))
}

/// The chat prompt goes through our Jinja template and tokenizer, the answer through our model and
/// decoder: its tokens must be transformers' greedy answer to the same conversation.
@Test func generateWithChatTemplateMatchesTransformersGreedyAnswer() throws {
    try requireModel()
    let project = Project()
    defer { project.cleanup() }
    let fixture = try reference()
    let record = fixture.records[0]  // "What is the capital of France?" in SmolLM2's ChatML template
    let question = "What is the capital of France?"
    #expect(record.text.contains(question))
    let result = try project.run(["generate", "--model", smolLM2.path, "--chat", "--prompt", question,
                                  "--max-new-tokens", "64"], binary: "runner", timeout: 120)
    #expect(result.status == 0, "\(result.stderr)")
    var expected = record.greedy64
    if expected.last == fixture.eos_token_id { expected.removeLast() }
    let answer = String(result.stdout.dropLast())  // the command ends the answer with one newline
    #expect(try tokenize(answer, in: project) == expected, "answer: \(answer)")
    #expect(result.stderr.contains("stop: eos") || expected.count == 64)
}

// MARK: - Adapters: `runner generate --adapter`, generate from trained lineages, merge (tiny model)

private let tinyTied = TinyModelFixture.directory
private let adapterFixtures = packageRoot.appendingPathComponent("Tests/StagesTests/Fixtures/adapters")

/// A tiny model directory (config, weights, byte tokenizer) at `relative` inside the project.
private func writeTinyModel(_ p: Project, from source: URL = tinyTied, at relative: String = "model") throws {
    try TinyModelFixture.writeModel(to: p.url(relative), from: source)
}

private struct AdapterGreedy: Decodable {
    struct Case: Decodable { var greedy: [Int32] }
    var ours: Case
    var peft_made: Case
}

@Test func generateWithAnAdapterGivesTheAdaptedGreedyAnswer() throws {
    let p = Project(); defer { p.cleanup() }
    try writeTinyModel(p)
    let reference = try JSONDecoder().decode(AdapterGreedy.self, from: Data(contentsOf: adapterFixtures.appendingPathComponent("reference.json")))
    func generate(_ extra: [String]) throws -> CLIResult {
        try p.run(["generate", "--model", p.url("model").path, "--prompt", "Say red: ", "--max-new-tokens", "8"] + extra, binary: "runner")
    }
    // runner's own adapter: PEFT's greedy answer with it (tools/reference/adapter_fixtures.py) is ASCII.
    let expected = String(decoding: reference.ours.greedy.map { UInt8($0) }, as: UTF8.self)
    let adapted = try generate(["--adapter", adapterFixtures.appendingPathComponent("ours").path])
    #expect(adapted.status == 0, "\(adapted.stderr)")
    #expect(adapted.stdout == expected + "\n")
    #expect(adapted.stderr.contains("[9 prompt tokens, 8 new tokens"), "\(adapted.stderr)")
    let plain = try generate([])
    #expect(plain.status == 0 && plain.stdout != adapted.stdout, "the adapter changes the answer")
    // PEFT's own adapter (tied head untied by its lm_head copy) generates too.
    let peft = try generate(["--adapter", adapterFixtures.appendingPathComponent("peft_made").path])
    #expect(peft.status == 0 && peft.stderr.contains("8 new tokens"), "\(peft.stderr)")
}

@Test func generateWithABadAdapterSaysWhatIsWrong() throws {
    let p = Project(); defer { p.cleanup() }
    try writeTinyModel(p)
    try writeTinyModel(p, from: packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny/llama3_untied_f16"), at: "other")
    func generate(model: String = "model", adapter: String) throws -> CLIResult {
        try p.run(["generate", "--model", p.url(model).path, "--adapter", adapter, "--prompt", "hi", "--max-new-tokens", "2"], binary: "runner")
    }
    let missing = try generate(adapter: p.url("nowhere").path)
    #expect(missing.status == 1 && missing.stderr.contains("nowhere: is not a directory"), "\(missing.stderr)")
    p.write("half/adapter_config.json", (try? String(contentsOf: adapterFixtures.appendingPathComponent("ours/adapter_config.json"), encoding: .utf8)) ?? "")
    let half = try generate(adapter: p.url("half").path)
    #expect(half.status == 1 && half.stderr.contains("half: has no adapter_model.safetensors"), "\(half.stderr)")
    let otherBase = try generate(model: "other", adapter: adapterFixtures.appendingPathComponent("ours").path)
    #expect(otherBase.status == 1, "\(otherBase.stderr)")
    #expect(otherBase.stderr.contains("module `model.layers.0.self_attn.k_proj`: lora_A is [4, 64] and lora_B [32, 4], but the base model `other`'s weight is [16, 64]"),
            "\(otherBase.stderr)")
}

/// The `generate` stage's answers of `stage` in the latest run.
private func completions(_ p: Project, stage: String) throws -> [String] {
    struct Generation: Decodable { var completion: String; var new_tokens: Int }
    let key = try #require(try p.latestRun().stage(named: stage)?.key)
    let walker = try #require(FileManager.default.enumerator(at: p.url(".runner"), includingPropertiesForKeys: nil))
    for case let url as URL in walker where url.lastPathComponent == "generations.json" && url.path.contains(key) {
        return try JSONDecoder().decode([Generation].self, from: Data(contentsOf: url)).map(\.completion)
    }
    throw CocoaError(.fileNoSuchFile)
}

@Test func recipeGeneratesFromTrainedSavedMergedAndQuantizedModels() throws {
    let p = Project(); defer { p.cleanup() }
    try writeTinyModel(p)
    let colors = ["red", "green", "blue", "black", "white", "amber", "violet", "grey"]
    p.write("data.jsonl", colors.map { #"{"prompt": "Say \#($0):", "completion": " \#($0) \#($0)"}"# }.joined(separator: "\n") + "\n")
    let ask = #"prompts: ["Say red:", "Say blue:"], max_new_tokens: 6, chat: false"#
    p.write("recipe.yaml", """
        version: 1
        name: tiny-adapters
        seed: 11
        stages:
          base: {kind: load, path: model, dtype: f32}
          adapters: {kind: lora, from: base, r: 4, alpha: 8, dropout: 0}
          data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64}
          tune: {kind: train, model: adapters, data: data, max_steps: 8, batch_size: 2, learning_rate: 0.02, scheduler: constant}
          out: {kind: save, from: tune, path: adapter}
          merged: {kind: merge, adapter: out, base: base, dtype: f32, path: merged}
          quant: {kind: quantize, from: base}
          fresh: {kind: lora, from: quant, r: 4}
          from_base: {kind: generate, model: base, \(ask)}
          from_train: {kind: generate, model: tune, \(ask)}
          from_save: {kind: generate, model: out, \(ask)}
          from_merge: {kind: generate, model: merged, \(ask)}
          from_quant: {kind: generate, model: quant, \(ask)}
          from_fresh_lora: {kind: generate, model: fresh, \(ask)}
        """)
    let result = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    let trained = try completions(p, stage: "from_train")
    #expect(trained.count == 2)
    #expect(try completions(p, stage: "from_save") == trained)
    #expect(try completions(p, stage: "from_merge") == trained, "the merged model answers as base + adapter")
    #expect(try completions(p, stage: "from_base") != trained, "training changed the answers")
    // A fresh adapter (B = 0) on a 4-bit base answers as the dequantized base does.
    #expect(try completions(p, stage: "from_fresh_lora") == (try completions(p, stage: "from_quant")))
    for file in ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json"] {
        #expect(FileManager.default.fileExists(atPath: p.url("merged/\(file)").path), "merged/\(file)")
    }
    #expect(FileManager.default.fileExists(atPath: p.url("adapter/adapter_model.safetensors").path))
}

@Test func mergeRejectsABaseQuantizedOtherwiseThanTraining() throws {
    let p = Project(); defer { p.cleanup() }
    try writeTinyModel(p)
    p.write("data.jsonl", #"{"prompt": "Say red:", "completion": " red"}"# + "\n")
    p.write("recipe.yaml", """
        version: 1
        name: tiny-merge-mismatch
        stages:
          base: {kind: load, path: model, dtype: f32}
          quant: {kind: quantize, from: base}
          adapters: {kind: lora, from: quant, r: 4}
          data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
          tune: {kind: train, model: adapters, data: data, max_steps: 1}
          merged: {kind: merge, adapter: tune, base: base}
        """)
    let result = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
    #expect(result.status == 3, "\(result.stderr)")
    #expect(result.stderr.contains("the adapter from `tune` was trained on a base quantized to nf4 (blocks of 64, double quant, skipping lm_head), "
                                   + "but `base` (`base`) is an unquantized base"), "\(result.stderr)")
    #expect(result.stderr.contains("point `base` at the model stage the adapter's `lora` stage was built on"))
}
