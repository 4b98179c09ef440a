// Training semantics beyond parity: LoRA settings errors, PEFT-like init, packed sequences equal
// separate ones, dropout masks reproducible and differentiated correctly, adapter export/load.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct TrainingBehaviorTests {
    static let tiny = Paths.fixtures.appendingPathComponent("tiny/llama_tied_bf16")

    func model(_ mode: TrainingMode, batch: Int = 2, sequence: Int = 12, checkpointing: ActivationCheckpointing = .off) throws -> TrainableModel {
        let backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: Self.tiny)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: Self.tiny), config: config, backend: backend)
        return try TrainableModel(config: config, weights: weights, backend: backend, mode: mode, maxBatch: batch,
                                  maxSequence: sequence, checkpointing: checkpointing)
    }

    func errorText(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func badLoraSettingsAreClearErrors() throws {
        #expect(errorText { _ = try model(.lora(LoraConfig(targets: .names(["q_prj"])))) }
            .contains("lora.target_modules: `q_prj` matches no module of the model (modules: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (or all-linear))"))
        #expect(errorText { _ = try model(.lora(LoraConfig(rank: 40, targets: .names(["k_proj"])))) }
            .contains("rank 40 exceeds model.layers.0.self_attn.k_proj's smaller dimension (32 × 64)"))
        #expect(errorText { _ = try model(.lora(LoraConfig(targets: .names(["lm_head"])))) }.contains("modules_to_save: [lm_head]"))
        #expect(errorText { _ = try model(.lora(LoraConfig(modulesToSave: ["norm"]))) }.contains("lora.modules_to_save: `norm` cannot be trained in full"))
        #expect(errorText { _ = try model(.lora(LoraConfig(dropout: 1))) }.contains("lora.dropout: must be in [0, 1)"))
        let m = try model(.lora(LoraConfig()))
        #expect(errorText { _ = try m.forwardBackward(TrainingBatch(tokens: [1, 2, 3], labels: [1, 2], batchSize: 1)) }
            .contains("2 labels for 3 tokens"))
        #expect(errorText { _ = try m.forwardBackward(TrainingBatch(tokens: [1, 2, 3], labels: [1, 900, 3], batchSize: 1)) }
            .contains("label 900 at index 1 is outside the vocabulary"))
        #expect(errorText { try m.loadAdapter(["lm_head.weight": Tensor.host([1], shape: [1])]) }.contains("`lm_head.weight` is not trainable"))
    }

    @Test func targetsByNameSelectModulesLikePEFT() throws {
        let m = try model(.lora(LoraConfig(targets: .names(["q_proj", "model.layers.1.mlp.down_proj"]))))
        #expect(m.parameters.map(\.name) == [
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
            "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
            "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight", "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"])
    }

    @Test func initIsPEFTLikeSeededAndOrderIndependent() throws {
        let all = try model(.lora(LoraConfig(rank: 8, seed: 7))).exportAdapter()
        let some = try model(.lora(LoraConfig(rank: 8, targets: .names(["up_proj"]), seed: 7))).exportAdapter()
        let other = try model(.lora(LoraConfig(rank: 8, seed: 8))).exportAdapter()
        let name = "base_model.model.model.layers.1.mlp.up_proj.lora_A.weight"
        let a = all[name]!.hostFloats()
        #expect(a == some[name]!.hostFloats(), "values depend on (seed, name) only")
        #expect(a != other[name]!.hostFloats())
        let bound = 1 / Float(64).squareRoot()   // kaiming_uniform_(a=√5) on (r, in=64): ±1/√in
        #expect(a.allSatisfy { abs($0) <= bound } && a.contains { abs($0) > 0.9 * bound })
        let std = (a.reduce(0) { $0 + $1 * $1 } / Float(a.count)).squareRoot()
        #expect(abs(std - bound / Float(3).squareRoot()) < 0.1 * bound)
        #expect(all.filter { $0.key.contains("lora_B") }.allSatisfy { $0.value.hostFloats().allSatisfy { $0 == 0 } })
        let gaussian = try model(.lora(LoraConfig(rank: 8, initialization: .gaussian))).exportAdapter()
        let g = gaussian.filter { $0.key.contains("lora_A") }.flatMap { $0.value.hostFloats() }
        let gStd = (g.reduce(0) { $0 + $1 * $1 } / Float(g.count)).squareRoot()
        #expect(abs(gStd - 1.0 / 8) < 0.01, "gaussian init std \(gStd), want 1/r")
    }

    /// With B = 0 the adapted model is the base model: same loss as full fine-tuning mode.
    @Test func freshAdapterLeavesTheModelUnchanged() throws {
        let fixture = try GradientFixture("llama_lora")
        let lora = try model(.lora(LoraConfig()))
        let full = try model(.full)
        #expect(abs(try lora.loss(fixture.batch).loss - full.loss(fixture.batch).loss) < 1e-6)
        #expect(full.parameters.count == 2 * 9 + 2, "embedding (tied with lm_head), 9 per layer, final norm")
    }

    /// Two examples packed in one row (segment ids, positions restarting) train exactly like the two as separate batches.
    @Test(arguments: ActivationCheckpointing.allCases)
    func packedSequencesMatchSeparateOnes(checkpointing: ActivationCheckpointing) throws {
        let first: [Int32] = [5, 17, 99, 3, 42], second: [Int32] = [7, 8, 200, 11, 64, 31, 77]
        let firstLabels: [Int32] = [-100, 17, 99, 3, 42], secondLabels: [Int32] = [-100, -100, 200, 11, 64, 31, 77]
        let packed = TrainingBatch(tokens: first + second, labels: firstLabels + secondLabels, batchSize: 1,
                                   positions: (0..<5).map(Int32.init) + (0..<7).map(Int32.init),
                                   segmentIds: [Int32](repeating: 0, count: 5) + [Int32](repeating: 1, count: 7))
        let a = TrainingBatch(tokens: first, labels: firstLabels, batchSize: 1)
        let b = TrainingBatch(tokens: second, labels: secondLabels, batchSize: 1)
        let total = a.targetTokenCount + b.targetTokenCount
        #expect(packed.targetTokenCount == total)
        let config = LoraConfig(seed: 3)
        let m1 = try model(.lora(config), batch: 1, checkpointing: checkpointing)
        let m2 = try model(.lora(config), batch: 1, checkpointing: checkpointing)
        try loadPatternedAdapters(m1)
        try loadPatternedAdapters(m2)
        let whole = try m1.forwardBackward(packed)
        let partA = try m2.forwardBackward(a, lossNormalizer: total), partB = try m2.forwardBackward(b, lossNormalizer: total)
        let combined = (partA.loss * Float(partA.tokens) + partB.loss * Float(partB.tokens)) / Float(total)
        #expect(abs(whole.loss - combined) <= 1e-5 * combined)
        for (p1, p2) in zip(m1.parameters, m2.parameters) {
            let error = relativeNormError(m1.backend.readFloats(p1.gradient), m2.backend.readFloats(p2.gradient))
            #expect(error <= 1e-5, "\(p1.name): relative error \(error)")
        }
    }

    /// LoRA dropout: masks keyed by step (reproducible), and the gradient is the derivative of the masked loss.
    @Test func loraDropoutIsReproducibleAndDifferentiated() throws {
        let fixture = try GradientFixture("llama_lora")
        let config = LoraConfig(dropout: 0.3, seed: 9)
        let m = try model(.lora(config))
        try loadPatternedAdapters(m)
        let batch = fixture.batch
        let withoutDropout = try m.loss(batch).loss
        let step5 = try m.forwardBackward(batch, step: 5).loss
        let gradients = m.parameters.map { m.backend.readFloats($0.gradient) }
        m.zeroGradients()
        #expect(try m.forwardBackward(batch, step: 5).loss == step5)
        #expect(m.parameters.map { m.backend.readFloats($0.gradient) } == gradients, "same step, same masks, same gradients")
        #expect(try m.loss(batch, dropoutStep: 5).loss == step5)
        #expect(try m.loss(batch, dropoutStep: 6).loss != step5)
        #expect(step5 != withoutDropout)
        // Central differences of the step-5 masked loss on an A entry (A's gradient flows through the mask).
        let name = "base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight", index = 21
        let analytic = Double(gradients[m.parameters.firstIndex { $0.name == name }!][index])
        var adapters = m.exportAdapter()
        let base = adapters[name]!.hostFloats()
        func loss(_ delta: Float) throws -> Double {
            var values = base
            values[index] += delta
            adapters[name] = Tensor.host(values, shape: adapters[name]!.shape)
            try m.loadAdapter(adapters)
            return Double(try m.loss(batch, dropoutStep: 5).loss)
        }
        let numeric = (try loss(1e-2) - loss(-1e-2)) / 2e-2
        #expect(abs(analytic) > 1e-4)
        #expect(abs(numeric - analytic) <= 2e-2 * abs(analytic) + 1e-4, "numeric \(numeric) vs analytic \(analytic)")
    }

    @Test func adapterExportLoadsBack() throws {
        let m = try model(.lora(LoraConfig(modulesToSave: ["lm_head"])))
        try loadPatternedAdapters(m)
        let exported = m.exportAdapter()
        #expect(exported["base_model.model.lm_head.weight"]?.shape == [256, 64])
        let other = try model(.lora(LoraConfig(modulesToSave: ["lm_head"])))
        try other.loadAdapter(exported)
        let fixture = try GradientFixture("llama_lora")
        #expect(try other.loss(fixture.batch).loss == m.loss(fixture.batch).loss)
        var missing = exported
        missing["base_model.model.lm_head.weight"] = nil
        #expect(errorText { try other.loadAdapter(missing) }.contains("missing tensor `base_model.model.lm_head.weight`"))
    }
}
