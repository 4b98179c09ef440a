// A PEFT adapter on the real SmolLM2-135M-Instruct (GGUF, Q4_1) through the entry point generation
// uses (`InferenceModel.open(model:adapter:)`): PEFT's top logits and greedy tokens on the model as
// transformers loads it (tools/reference/adapter_fixtures.py, `smollm2` case).
import CPUBackend
import Foundation
import Models
import Stages
import Testing

private struct SmolLM2Reference: Decodable {
    struct Case: Decodable {
        var prompt: String
        var input_ids: [Int32]
        var top_ids: [Int]
        var top_logits: [Float]
        var greedy: [Int32]
    }
    var smollm2: Case
}

@Test func peftAdapterOnSmolLM2GivesPEFTsTopLogitsAndGreedyTokens() throws {
    let gguf = stagesPackageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    try #require(FileManager.default.fileExists(atPath: gguf.path), "models/SmolLM2-135M-Instruct.Q4_1.gguf is missing: run scripts/bootstrap.sh")
    let reference = try JSONDecoder().decode(SmolLM2Reference.self, from: Data(contentsOf: adapterFixtures.appendingPathComponent("reference.json"))).smollm2
    let model = try InferenceModel.open(model: gguf, adapter: adapterFixtures.appendingPathComponent("smollm2"))
    #expect(model.weights.adapter?.deltas.map(\.module).sorted() == [0, 15, 29].flatMap { layer in
        ["model.layers.\(layer).self_attn.q_proj", "model.layers.\(layer).self_attn.v_proj"] }.sorted())
    let ids = model.bundle.tokenizer.encode(reference.prompt, addSpecialTokens: true)
    #expect(ids == reference.input_ids)

    let backend = CPUBackend()
    let llama = try model.loadModel(backend: backend, maxSequence: ids.count + reference.greedy.count)
    let last = backend.readFloats(try llama.forward(tokens: ids))   // (V) last position
    let range = reference.top_logits.max()! - reference.top_logits.min()!
    let worst = zip(reference.top_ids, reference.top_logits).map { abs(last[$0] - $1) }.max()!
    #expect(worst <= 1e-3 * range, "max |Δ| \(worst) over PEFT's top-32 logits, range \(range)")
    // The adapter moves these logits well beyond the tolerance: the base alone fails the check.
    let plain = try InferenceModel.open(model: gguf).loadModel(backend: backend, maxSequence: ids.count)
    let plainLast = backend.readFloats(try plain.forward(tokens: ids))
    #expect(zip(reference.top_ids, reference.top_logits).map { abs(plainLast[$0] - $1) }.max()! > 1e-2 * range)
    llama.resetCache()
    let generated = try llama.generate(prompt: ids, options: GenerationOptions(maxNewTokens: reference.greedy.count))
    #expect(generated.tokens == reference.greedy)
}
