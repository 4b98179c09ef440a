// `train` on a quantized base read from the `quantize` artifact: QLoRA on NF4 (bf16 compute, the
// default) and LoRA on an LLM.int8 base run end to end, and the int8 base trains exactly like a dense
// model holding its dequantized weights.
import Compute
import CPUBackend
import Foundation
import Models
import Pipeline
import Quant
import Testing

@Suite struct QuantizedTrainTests {
    static let methods = ["method: nf4", "method: int8, compute_dtype: f32"]

    @Test(arguments: methods)
    func trainsAdaptersOnTheQuantizeArtifact(method: String) throws {
        let project = try QuantizeSupport.project()
        let (record, store) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              quant: {kind: quantize, from: base, \(method)}
              prep: {kind: prepare_kbit, from: quant}
              adapters: {kind: lora, from: prep, r: 4, alpha: 8, dropout: 0}
              data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
              tune: {kind: train, model: adapters, data: data, max_steps: 8, batch_size: 4, learning_rate: 0.01, scheduler: constant}
            """, in: project)
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        let metricsURL = try QuantizeSupport.artifact("tune", record, store).appendingPathComponent("metrics.json")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: metricsURL)) as? [String: Any])
        let losses = try #require((metrics["steps"] as? [[String: Any]])?.compactMap { $0["loss"] as? Double })
        #expect(losses.count == 8 && losses.allSatisfy(\.isFinite))
        #expect(losses[6...].reduce(0, +) < losses[..<2].reduce(0, +) - 0.2, "loss should fall: \(losses)")
    }

    @Test func int8BaseTrainsLikeItsDequantizedWeights() throws {
        let project = try QuantizeSupport.project()
        let (record, store) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              quant: {kind: quantize, from: base, method: int8, compute_dtype: f32}
            """, in: project)
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        let source = try BitsAndBytesWeights(at: try QuantizeSupport.artifact("quant", record, store))
        #expect(source.quantized.count == 14 && source.quantized.values.allSatisfy { $0 is Int8RowWise })
        let config = try LlamaConfig.load(contentsOf: QuantizeSupport.tinyModel)
        let tokens: [Int32] = (0..<24).map { (i: Int) -> Int32 in Int32(4 + (i * 7) % 250) }
        let labels: [Int32] = tokens.indices.map { (i: Int) -> Int32 in i % 12 < 3 ? -100 : tokens[i] }
        let batch = TrainingBatch(tokens: tokens, labels: labels, batchSize: 2)
        func lossAndGradients(quantized: Bool) throws -> (Float, [[Float]]) {
            let backend = CPUBackend()
            // Dense: the dequantized weights as ordinary f32 tensors. Quantized: int8 codes, dequantized per use.
            let weights = try LlamaWeights.load(from: source, config: config, backend: backend)
            let model = try TrainableModel(config: config, weights: weights, backend: backend,
                                           mode: .lora(LoraConfig(rank: 4, alpha: 8, targets: .allLinear, seed: 3)),
                                           maxBatch: 2, maxSequence: 12, quantizedBase: quantized ? source.quantized : [:])
            let b = model.parameters.filter { $0.name.contains("lora_B") }
            for (i, parameter) in b.enumerated() {   // B ≠ 0 so that A gets a gradient too
                let values: [Float] = (0..<parameter.value.count).map { (j: Int) -> Float in Float((j * 13 + i) % 17) / 170 - 0.05 }
                backend.write(values, to: parameter.value)
            }
            let (loss, _) = try model.forwardBackward(batch)
            return (loss, model.parameters.map { backend.readFloats($0.gradient) })
        }
        let (denseLoss, denseGradients) = try lossAndGradients(quantized: false)
        let (int8Loss, int8Gradients) = try lossAndGradients(quantized: true)
        #expect(denseLoss == int8Loss)
        #expect(denseGradients == int8Gradients)
        #expect(denseGradients.contains { $0.contains { $0 != 0 } })
    }
}
