// A quantized base built tensor by tensor (`FourBitBase.load`: read one Linear, quantize it, drop
// the dense copy) holds the same 4-bit weights as quantizing a fully loaded model, keeps only
// shape-only placeholders for the quantized Linears, and trains to PEFT + bitsandbytes' gradients.
import Compute
import CPUBackend
import Foundation
import Models
import Quant
import Testing

extension GradientParityTests {
    @Test func streamedNF4BaseMatchesTheQuantizedLoadedModelAndPEFT() throws {
        let fixture = try GradientFixture("llama_qlora_nf4")
        let dir = fixture.modelDirectory
        let backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: dir)
        let source = try SafetensorsWeights(at: dir)
        let dense = try LlamaWeights.load(from: source, config: config, backend: backend)
        let whole = try FourBitBase.quantize(dense, config: config, backend: backend, type: .nf4, blockSize: 64, doubleQuant: true)
        let streamed = try FourBitBase.load(from: source, config: config, backend: backend, type: .nf4, blockSize: 64, doubleQuant: true)

        #expect(streamed.quantized.count == 7 * config.layerCount)
        for (path, weight) in whole {
            let other = try #require(streamed.quantized[path] as? FourBitWeight, "\(path) not quantized")
            #expect(try other.dequantized() == weight.dequantized(), "\(path): the same 4-bit weight")
        }
        let layer = streamed.weights.layers[1]
        for placeholder in [layer.query, layer.key, layer.value, layer.output, layer.gate, layer.up, layer.down] {
            #expect(placeholder.strides.allSatisfy { $0 == 0 } && !placeholder.isContiguous && placeholder.storage.byteCount == 4,
                    "a quantized Linear keeps no dense copy: \(placeholder)")
        }
        #expect(layer.gate.shape == dense.layers[1].gate.shape && layer.output.shape == dense.layers[1].output.shape)
        #expect(backend.readFloats(streamed.weights.embedding) == backend.readFloats(dense.embedding))
        #expect(backend.readFloats(layer.mlpNorm) == backend.readFloats(dense.layers[1].mlpNorm))

        let batch = fixture.batch
        let model = try TrainableModel(config: config, weights: streamed.weights, backend: backend, mode: .lora(fixture.loraConfig),
                                       maxBatch: batch.batchSize, maxSequence: batch.sequenceLength,
                                       checkpointing: .layer, quantizedBase: streamed.quantized)
        try loadPatternedAdapters(model, bBound: fixture.bBound)
        try expectParity(fixture, model)
    }

    @Test func streamedBaseStoresTheEmbeddingInTheDenseDType() throws {
        let fixture = try GradientFixture("llama_qlora_nf4")
        let config = try LlamaConfig.load(contentsOf: fixture.modelDirectory)
        let backend = makeBackend()
        let source = try SafetensorsWeights(at: fixture.modelDirectory)
        let base = try FourBitBase.load(from: source, config: config, backend: backend, denseDType: .bf16)
        #expect(base.weights.embedding.dtype == .bf16 && base.weights.lmHead.dtype == .bf16)
        #expect(base.weights.layers[0].attentionNorm.dtype == .f32, "norms stay f32")
        // Only the Linears the closure quantizes are replaced; the rest load dense.
        let partial = try FourBitBase.load(from: source, config: config, backend: backend) { path, _, _ in
            path.hasSuffix("down_proj") ? base.quantized[path] : nil
        }
        #expect(partial.quantized.count == config.layerCount)
        #expect(partial.weights.layers[0].down.strides == [0, 0] && partial.weights.layers[0].up.isContiguous)
    }

    @Test func streamedBaseRejectsAQuantizedWeightOfTheWrongShape() throws {
        let fixture = try GradientFixture("llama_qlora_nf4")
        let config = try LlamaConfig.load(contentsOf: fixture.modelDirectory)
        let source = try SafetensorsWeights(at: fixture.modelDirectory)
        let values = (0..<64 * 2).map { Float($0 % 11) - 5 }
        let wrong = try values.withUnsafeBufferPointer { try FourBitWeight(quantizing: .f32($0), shape: [2, 64], type: .nf4) }
        #expect {
            _ = try FourBitBase.load(from: source, config: config, backend: makeBackend()) { _, _, _ in wrong }
        } throws: { error in
            "\(error)".contains("quantized weight of `model.layers.0.self_attn.q_proj` has shape [2, 64]")
        }
    }
}
