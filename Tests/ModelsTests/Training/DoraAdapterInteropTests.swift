// DoRA adapters cross PEFT both ways: one PEFT made (`save_pretrained`, nonzero B, perturbed
// magnitudes) loads here — merged it gives PEFT's logits, and as a training start PEFT's loss — and
// one runner trained (`runner apply` with `use_dora: true`) gives here the logits PEFT computed with
// it (`PeftModel.from_pretrained`). Fixtures: tools/reference/dora_fixtures.py.
import Compute
import CPUBackend
import Formats
import Foundation
import Models
import Testing

@Suite struct DoraAdapterInteropTests {
    static let directory = Paths.fixtures.appendingPathComponent("dora")
    static let tiny = Paths.fixtures.appendingPathComponent("tiny/llama_tied_bf16")

    var meta: [String: Any] { get throws { try loadJSON(Self.directory.appendingPathComponent("peft_made.json")) } }

    /// Logits (T, V) of the merged `adapter` on `input`.
    func logits(_ adapter: PeftAdapter?, input: [Int32]) throws -> [Float] {
        let backend = CPUBackend()
        let config = try LlamaConfig.load(contentsOf: Self.tiny)
        let weights = try AdaptedWeights(base: SafetensorsWeights(at: Self.tiny), baseConfig: config, adapter: adapter)
        let loaded = try LlamaWeights.load(from: weights, config: weights.config, backend: backend)
        let model = try LlamaModel(config: weights.config, weights: loaded, backend: backend, maxSequence: input.count, logits: .allPositions)
        return backend.readFloats(try model.forward(tokens: input))
    }

    /// Largest |a − b| relative to the largest |b|.
    func relativeMaxError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return maxAbsDifference(a, b) / max(b.map(abs).max() ?? 1, 1e-6)
    }

    @Test func peftMadeDoraAdapterGivesPEFTsLogits() throws {
        let adapter = try PeftAdapter.open(Self.directory.appendingPathComponent("peft_made"))
        #expect(adapter.config.useDora && adapter.deltas.count == 2 * 7)
        #expect(adapter.deltas.allSatisfy { $0.magnitude?.count == $0.outFeatures }, "every module carries its magnitude")
        let input = ints(try meta["input_ids"])
        let expected = try loadFloats(Self.directory.appendingPathComponent("peft_made.bin"))
        let ours = try logits(adapter, input: input)
        #expect(relativeMaxError(ours, expected) < 1e-5, "merged DoRA logits vs PEFT's: \(relativeMaxError(ours, expected))")

        // The base alone, and the adapter read as plain LoRA (magnitudes dropped), both give other logits.
        #expect(relativeMaxError(try logits(nil, input: input), expected) > 1e-2)
        let plain = adapter.deltas.map { LoraDelta(module: $0.module, a: $0.a, b: $0.b, rank: $0.rank, inFeatures: $0.inFeatures,
                                                   outFeatures: $0.outFeatures, scale: $0.scale) }
        var merged = try SafetensorsWeights(at: Self.tiny).tensor(adapter.deltas[0].module + ".weight").hostFloats()
        try #require(merged.count == adapter.deltas[0].outFeatures * adapter.deltas[0].inFeatures)
        let dense = merged
        plain[0].merge(into: &merged)
        var rescaled = dense
        adapter.deltas[0].merge(into: &rescaled)
        #expect(maxAbsDifference(merged, rescaled) > 1e-4, "the magnitude rescales the merged rows")
    }

    /// PEFT's DoRA adapter as the start of training: loaded into a DoRA `TrainableModel`, its loss is PEFT's.
    @Test func peftMadeDoraAdapterLoadsForTraining() throws {
        let meta = try self.meta
        let backend = CPUBackend()
        let config = try LlamaConfig.load(contentsOf: Self.tiny)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: Self.tiny), config: config, backend: backend)
        let ids = meta["batch_input_ids"] as! [[Any]], labels = meta["batch_labels"] as! [[Any]]
        let batch = TrainingBatch(tokens: ids.flatMap(ints), labels: labels.flatMap(ints), batchSize: ids.count)
        let model = try TrainableModel(config: config, weights: weights, backend: backend,
                                       mode: .lora(LoraConfig(rank: 4, alpha: 8, useDora: true)),
                                       maxBatch: batch.batchSize, maxSequence: batch.sequenceLength)
        let file = try SafetensorsFile(contentsOf: Self.directory.appendingPathComponent("peft_made/adapter_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for info in file.tensors { tensors[info.name] = Tensor.host(try file.floats(of: info), shape: Shape(info.shape)) }
        #expect(tensors.keys.filter { $0.hasSuffix(".lora_magnitude_vector") }.count == 2 * 7)
        let before = try model.loss(batch).loss
        try model.loadAdapter(tensors)
        let loss = try model.loss(batch).loss
        let expected = (meta["loss"] as! NSNumber).floatValue
        #expect(abs(loss - expected) <= 1e-5 * expected, "loss \(loss) vs PEFT \(expected)")
        #expect(abs(before - expected) > 1e-3, "a fresh adapter gives another loss (\(before))")
    }

    @Test func runnerTrainedDoraAdapterGivesTheLogitsPEFTComputesWithIt() throws {
        let adapter = try PeftAdapter.open(Self.directory.appendingPathComponent("ours"))
        #expect(adapter.config.useDora && adapter.deltas.count == 2 * 7 && adapter.deltas.allSatisfy { $0.magnitude != nil })
        let input = ints(try meta["input_ids"])
        let expected = try loadFloats(Self.directory.appendingPathComponent("ours.bin"))
        let ours = try logits(adapter, input: input)
        #expect(relativeMaxError(ours, expected) < 1e-5, "runner's DoRA logits vs PEFT's with runner's adapter: \(relativeMaxError(ours, expected))")
    }
}
