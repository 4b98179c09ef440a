// SmolLM2-135M-Instruct (Q4_1 GGUF) against transformers loading the same file in f32:
// logits at every position (a strided vocabulary sample), the last position's top-k, and the
// greedy 64-token continuation. Fixtures: tools/reference/model_fixtures.py.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct SmolLM2ParityTests {
    @Test func logitsAndGreedyGenerationMatchTransformers() throws {
        let url = try Paths.requireSmolLM2()
        let reference = try loadJSON(Paths.fixtures.appendingPathComponent("smollm2/reference.json"))
        let records = try #require(reference["records"] as? [[String: Any]])
        let model = try LlamaModel.load(from: url, backend: makeBackend(), maxSequence: 160, logits: .allPositions)
        #expect(model.config.layerCount == 30 && model.config.hiddenSize == 576 && model.config.kvHeadCount == 3)
        #expect(model.config.tieWordEmbeddings)
        let vocab = model.config.vocabSize
        for record in records {
            let tokens = ints(record["tokens"])
            let stride = (record["sample_vocab_stride"] as! NSNumber).intValue
            let sampled = (record["sampled_logits"] as! [[NSNumber]]).map { $0.map(\.floatValue) }
            let range = (record["last_max"] as! NSNumber).floatValue - (record["last_min"] as! NSNumber).floatValue
            model.resetCache()
            let logits = model.backend.readFloats(try model.forward(tokens: tokens))    // (T, V)
            #expect(sampled.count == tokens.count)
            var worst: Float = 0
            for (t, row) in sampled.enumerated() {
                let ours = stride0(logits, row: t, vocab: vocab, stride: stride)
                worst = max(worst, maxAbsDifference(ours, row))
            }
            #expect(worst <= 1e-3 * range, "max |Δ| \(worst) over all positions, logit range \(range)")
            let last = Array(logits[(tokens.count - 1) * vocab..<tokens.count * vocab])
            let topIds = ints(record["last_top_ids"]), topLogits = (record["last_top_logits"] as! [NSNumber]).map(\.floatValue)
            #expect(maxAbsDifference(topIds.map { last[Int($0)] }, topLogits) <= 1e-3 * range)
            let lastStride = (record["last_sample_vocab_stride"] as! NSNumber).intValue
            let lastSampled = (record["last_sampled_logits"] as! [NSNumber]).map(\.floatValue)
            #expect(maxAbsDifference(stride0(logits, row: tokens.count - 1, vocab: vocab, stride: lastStride), lastSampled) <= 1e-3 * range)
            #expect(Sampler.argmax(last) == topIds[0])
        }
        // Greedy generation through the KV cache (last-position logits only).
        let generator = try LlamaModel(config: model.config, weights: model.weights, backend: model.backend, maxSequence: 160)
        let eos = Int32((reference["eos_token_id"] as! NSNumber).intValue)
        for record in records {
            let expected = ints(record["greedy64"])
            let result = try generator.generate(prompt: ints(record["tokens"]),
                                                options: GenerationOptions(maxNewTokens: 64, eosTokenIds: [eos]))
            let text = record["text"] as? String ?? ""
            #expect(result.tokens == expected, "prompt: \(text)")
        }
    }

    private func stride0(_ logits: [Float], row: Int, vocab: Int, stride: Int) -> [Float] {
        Swift.stride(from: 0, to: vocab, by: stride).map { logits[row * vocab + $0] }
    }
}
