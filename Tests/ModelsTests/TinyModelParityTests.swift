// Tiny random Llama / Llama-3-scaled / Qwen2 checkpoints made by transformers: our forward pass
// must give the same logits at every position and the same greedy continuations.
// Fixtures: tools/reference/model_fixtures.py.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct TinyModelParityTests {
    static let names = ["llama_tied_bf16", "llama3_untied_f16", "qwen2_bias_bf16", "mistral_untied_bf16"]

    @Test(arguments: names)
    func logitsMatchTransformers(name: String) throws {
        let dir = Paths.fixtures.appendingPathComponent("tiny/\(name)")
        let reference = try loadJSON(dir.appendingPathComponent("reference.json"))
        let expected = try loadFloats(dir.appendingPathComponent("logits.bin"))
        let sequences = (reference["sequences"] as! [Any]).map(ints)
        let model = try LlamaModel.load(from: dir, backend: makeBackend(), maxSequence: 16, logits: .allPositions)
        let vocab = model.config.vocabSize
        var offset = 0
        for sequence in sequences {
            model.resetCache()
            let logits = model.backend.readFloats(try model.forward(tokens: sequence))
            let slice = Array(expected[offset..<offset + sequence.count * vocab])
            offset += sequence.count * vocab
            let range = slice.max()! - slice.min()!
            #expect(range > 1, "reference logits should not be flat")
            let error = maxAbsDifference(logits, slice)
            #expect(error <= 1e-4 * range, "\(name): max |Δ| = \(error), logit range \(range)")
        }
        #expect(offset == expected.count)
    }

    @Test(arguments: names)
    func greedyContinuationsMatchTransformers(name: String) throws {
        let dir = Paths.fixtures.appendingPathComponent("tiny/\(name)")
        let reference = try loadJSON(dir.appendingPathComponent("reference.json"))
        let sequences = (reference["sequences"] as! [Any]).map(ints)
        let continuations = (reference["greedy16"] as! [Any]).map(ints)
        let model = try LlamaModel.load(from: dir, backend: makeBackend(), maxSequence: 32)
        for (prompt, expected) in zip(sequences, continuations) {
            var streamed: [Int32] = []
            let result = try model.generate(prompt: prompt, options: GenerationOptions(
                maxNewTokens: 16, eosTokenIds: Set(model.config.eosTokenIds))) { streamed.append($0); return true }
            #expect(result.tokens == expected, "\(name): prompt \(prompt)")
            #expect(streamed == result.tokens)
            #expect(result.stopReason == (expected.count < 16 ? .endOfSequence : .maxNewTokens))
        }
    }

    @Test func configsParseBothRopeSpellings() throws {
        let llama3 = try LlamaConfig.load(contentsOf: Paths.fixtures.appendingPathComponent("tiny/llama3_untied_f16"))
        #expect(llama3.rope == RopeConfig(theta: 500_000, scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16)))
        #expect(llama3.kvHeadCount == 1 && !llama3.tieWordEmbeddings && llama3.eosTokenIds == [2, 3])
        let qwen = try LlamaConfig.load(contentsOf: Paths.fixtures.appendingPathComponent("tiny/qwen2_bias_bf16"))
        #expect(qwen.architecture == .qwen2 && qwen.qkvBias && !qwen.outputBias && qwen.tieWordEmbeddings)
        // transformers 4 spelling: rope_theta + rope_scaling with `type`.
        let old = """
        {"model_type": "llama", "vocab_size": 32, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
         "num_attention_heads": 2, "rope_theta": 1000.0, "rope_scaling": {"type": "linear", "factor": 2.0}}
        """
        let mistralDir = Paths.fixtures.appendingPathComponent("tiny/mistral_untied_bf16")
        let mistral = try LlamaConfig.load(contentsOf: mistralDir)
        #expect(mistral.architecture == .mistral && mistral.headDim == 16 && mistral.headCount * mistral.headDim == 128)
        #expect(mistral.slidingWindow == 64)
        do {
            _ = try LlamaModel.load(from: mistralDir, backend: makeBackend(), maxSequence: 100)
            Issue.record("expected a sliding-window error")
        } catch {
            #expect("\(error)".contains("sequence length 100 exceeds the sliding window 64"))
        }
        let parsed = try LlamaConfig.parse(json: Data(old.utf8))
        #expect(parsed.rope == RopeConfig(theta: 1000, scaling: .linear(factor: 2)))
        #expect(parsed.kvHeadCount == 2 && parsed.headDim == 8)
    }

    @Test func inconsistentConfigsNameTheKey() throws {
        func error(_ json: String) -> String {
            do { _ = try LlamaConfig.parse(json: Data(json.utf8), source: "config.json"); return "no error" } catch { return "\(error)" }
        }
        let base = #""model_type": "llama", "vocab_size": 32, "intermediate_size": 32, "num_hidden_layers": 1"#
        #expect(error("{\(base), \"hidden_size\": 16, \"num_attention_heads\": 4, \"num_key_value_heads\": 3}")
            .contains("config.json: num_key_value_heads: 3 does not divide num_attention_heads = 4"))
        #expect(error("{\(base), \"hidden_size\": 18, \"num_attention_heads\": 4}").contains("hidden_size"))
        #expect(error("{\(base), \"num_attention_heads\": 4}").contains("config.json: hidden_size: is missing"))
        #expect(error("{\(base), \"hidden_size\": 16, \"num_attention_heads\": 2, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 2}}")
            .contains("rope_scaling.rope_type"))
        #expect(error("{\(base), \"hidden_size\": \"16\", \"num_attention_heads\": 2}").contains("hidden_size: must be an integer"))
        #expect(error("{\"model_type\": \"gpt2\"}").contains("model_type: `gpt2` is not supported"))
    }

    @Test func wrongWeightShapeNamesTheTensor() throws {
        let dir = Paths.fixtures.appendingPathComponent("tiny/llama_tied_bf16")
        var config = try LlamaConfig.load(contentsOf: dir)
        config.intermediateSize = 96
        do {
            _ = try LlamaWeights.load(from: try SafetensorsWeights(at: dir), config: config, backend: makeBackend())
            Issue.record("expected a shape error")
        } catch {
            #expect("\(error)".contains("tensor `model.layers.0.mlp.gate_proj.weight` has shape (128, 64), but the config implies (96, 64)"))
        }
    }
}
