// A GGUF stores Llama's q/k rows permuted for llama.cpp's rope (and uses other names);
// loading the same weights under GGUF naming and layout must give the identical model.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct GGUFLayoutTests {
    /// llama.cpp's convert_hf_to_gguf permutation: HF row (head, half, i) → GGUF row (head, i, half).
    func permuteLikeLlamaCpp(_ values: [Float], rows: Int, heads: Int) -> [Float] {
        let cols = values.count / rows, hd = rows / heads
        var out = values
        for h in 0..<heads { for half in 0..<2 { for i in 0..<hd / 2 {
            let from = h * hd + half * hd / 2 + i, to = h * hd + 2 * i + half
            for c in 0..<cols { out[to * cols + c] = values[from * cols + c] }
        } } }
        return out
    }

    @Test func ggufNamingAndPermutationGiveTheSameModel() throws {
        let config = LlamaConfig(vocabSize: 40, hiddenSize: 32, intermediateSize: 48, layerCount: 2, headCount: 4,
                                 kvHeadCount: 2, rmsNormEps: 1e-5, tieWordEmbeddings: false)
        var state: UInt64 = 42
        func random(_ n: Int) -> [Float] {
            (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23) * 0.4
            }
        }
        var hf = InMemoryWeights(naming: .huggingFace), gguf = InMemoryWeights(naming: .gguf)
        for (key, shape) in config.weightShapes() {
            let values = random(shape.count).map { shape.rank == 1 ? 1 + $0 : $0 }
            hf.tensors[WeightNaming.huggingFace.name(key)] = Tensor.host(values, shape: shape)
            var stored = values
            if case .layer(_, .query) = key { stored = permuteLikeLlamaCpp(values, rows: shape[0], heads: config.headCount) }
            if case .layer(_, .key) = key { stored = permuteLikeLlamaCpp(values, rows: shape[0], heads: config.kvHeadCount) }
            gguf.tensors[WeightNaming.gguf.name(key)] = Tensor.host(stored, shape: shape)
        }
        #expect(gguf.contains("blk.1.attn_q.weight") && gguf.contains("token_embd.weight") && gguf.contains("output.weight"))
        let backend = makeBackend()
        let tokens: [Int32] = [3, 17, 39, 0, 22]
        func logits(_ source: InMemoryWeights) throws -> [Float] {
            let weights = try LlamaWeights.load(from: source, config: config, backend: backend)
            let model = try LlamaModel(config: config, weights: weights, backend: backend, maxSequence: 8, logits: .allPositions)
            return backend.readFloats(try model.forward(tokens: tokens))
        }
        let fromHF = try logits(hf), fromGGUF = try logits(gguf)
        #expect(fromHF == fromGGUF)
        // Loading the permuted rows as if they were HF order gives a different model (the test can fail).
        var wrong = hf
        wrong.tensors["model.layers.0.self_attn.q_proj.weight"] = gguf.tensors["blk.0.attn_q.weight"]
        #expect(maxAbsDifference(try logits(wrong), fromHF) > 1e-4)
    }
}
