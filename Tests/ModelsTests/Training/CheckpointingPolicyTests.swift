// The three activation-checkpointing policies (off, layer, selective) give exactly the same losses
// and gradients — bit for bit — over two steps with an update in between: on the tiny fixtures
// (LoRA with dropout, full fine-tuning with biases, an NF4 base) and on SmolLM2-135M (f32 and bf16
// matmuls). Their saved-activation memory matches `ActivationCheckpointing`'s formula.
import Compute
import CPUBackend
import Formats
import Foundation
import Models
import Testing

/// The loss and every gradient (in parameter order) after one step.
struct PolicyStep: Equatable {
    let loss: Float
    let gradients: [[Float]]
}

@Suite struct CheckpointingPolicyTests {
    /// Two steps on `model`: forward/backward (dropout masks of step 0), a host SGD update, then
    /// step 1 from the updated weights.
    func twoSteps(_ model: TrainableModel, _ batch: TrainingBatch) throws -> [PolicyStep] {
        var steps: [PolicyStep] = []
        for step in 0..<2 {
            let (loss, _) = try model.forwardBackward(batch, step: step)
            let gradients = model.parameters.map { model.backend.readFloats($0.gradient) }
            steps.append(PolicyStep(loss: loss, gradients: gradients))
            for parameter in model.parameters {
                let value = model.backend.readFloats(parameter.value), gradient = model.backend.readFloats(parameter.gradient)
                model.backend.write(zip(value, gradient).map { $0 - 0.5 * $1 }, to: parameter.value)
            }
            model.zeroGradients()
        }
        return steps
    }

    /// Runs every policy and expects each to reproduce `off` exactly (and the gradients not to be zero).
    func expectIdentical(_ name: String, _ batch: TrainingBatch, _ make: (ActivationCheckpointing) throws -> TrainableModel) throws {
        let reference = try twoSteps(try make(.off), batch)
        #expect(reference.allSatisfy { $0.loss.isFinite && $0.gradients.contains { l2Norm($0) > 0 } }, "\(name): a real step")
        #expect(reference[0].loss != reference[1].loss, "\(name): the update changed the model")
        for policy in [ActivationCheckpointing.layer, .selective] {
            let steps = try twoSteps(try make(policy), batch)
            for (index, (step, expected)) in zip(steps, reference).enumerated() {
                #expect(step.loss == expected.loss, "\(name) \(policy) step \(index): loss \(step.loss) vs \(expected.loss) without checkpointing")
                let differing = zip(step.gradients, expected.gradients).filter { $0 != $1 }.count
                #expect(differing == 0, "\(name) \(policy) step \(index): \(differing) gradients differ from those without checkpointing")
            }
        }
    }

    func tinyModel(_ fixture: GradientFixture, _ mode: TrainingMode, _ policy: ActivationCheckpointing) throws -> TrainableModel {
        let dir = fixture.modelDirectory, backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: dir)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: dir), config: config, backend: backend)
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: mode, maxBatch: fixture.batch.batchSize,
                                       maxSequence: fixture.batch.sequenceLength, checkpointing: policy, lossChunkRows: 7)
        if case .lora = mode { try loadPatternedAdapters(model, bBound: fixture.bBound) }
        return model
    }

    @Test func loraWithDropoutIsIdenticalUnderEveryPolicy() throws {
        let fixture = try GradientFixture("llama_lora")
        var lora = fixture.loraConfig
        lora.dropout = 0.1
        lora.seed = 11
        try expectIdentical("tiny LoRA", fixture.batch) { try tinyModel(fixture, .lora(lora), $0) }
    }

    @Test func fullFineTuningIsIdenticalUnderEveryPolicy() throws {
        let fixture = try GradientFixture("qwen2_full")
        try expectIdentical("tiny full", fixture.batch) { try tinyModel(fixture, .full, $0) }
    }

    @Test func qloraIsIdenticalUnderEveryPolicy() throws {
        let fixture = try GradientFixture("llama_qlora_nf4")
        let dir = fixture.modelDirectory, backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: dir)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: dir), config: config, backend: backend)
        let fourBit = try FourBitBase.quantize(weights, config: config, backend: backend, type: .nf4, blockSize: 64, doubleQuant: true)
        try expectIdentical("tiny QLoRA", fixture.batch) { policy in
            let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(fixture.loraConfig),
                                           maxBatch: fixture.batch.batchSize, maxSequence: fixture.batch.sequenceLength,
                                           checkpointing: policy, fourBitBase: fourBit)
            try loadPatternedAdapters(model, bBound: fixture.bBound)
            return model
        }
    }

    /// SmolLM2-135M, LoRA r=8 (dropout 0.05) on every linear layer, 2 × 24 tokens: the real model's
    /// 30 layers, with the base shared by the three models (frozen, never written).
    func smolLM2(_ precision: MatmulPrecision) throws {
        let backend = try CPUBackend(matmulPrecision: precision)
        let source = try GGUFWeights(contentsOf: try Paths.requireSmolLM2())
        let config = try LlamaConfig.fromGGUF(source.file)
        let weights = try LlamaWeights.load(from: source, config: config, backend: backend, dtype: precision == .bf16 ? .bf16 : .f32)
        var generator = SplitMix64(seed: 7)
        let tokens = (0..<48).map { _ in Int32(generator.next() % UInt64(config.vocabSize)) }
        let batch = TrainingBatch(tokens: tokens, labels: tokens, batchSize: 2)
        let lora = LoraConfig(rank: 8, alpha: 16, dropout: 0.05, seed: 5)
        try expectIdentical("SmolLM2 \(precision.rawValue)", batch) { policy in
            let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(lora),
                                           maxBatch: 2, maxSequence: 24, checkpointing: policy)
            try loadPatternedAdapters(model, bBound: 0.05)
            return model
        }
    }

    @Test func smolLM2IsIdenticalUnderEveryPolicy() throws { try smolLM2(.f32) }

    @Test(.enabled(if: (try? CPUBackend(matmulPrecision: .bf16)) != nil, "the CPU has bf16 matmul units"))
    func smolLM2WithBF16MatmulsIsIdenticalUnderEveryPolicy() throws { try smolLM2(.bf16) }

    /// The arena's saved activations are the documented per-token, per-layer sizes (plus the model
    /// output's residual and the shared set), up to each slot's 64-byte alignment.
    @Test(arguments: ActivationCheckpointing.allCases)
    func savedActivationMemoryFollowsTheFormula(policy: ActivationCheckpointing) throws {
        let fixture = try GradientFixture("llama_lora")
        let model = try tinyModel(fixture, .lora(fixture.loraConfig), policy)
        let config = model.config, n = fixture.batch.batchSize * fixture.batch.sequenceLength
        let perLayer = policy.keptValuesPerTokenPerLayer(config, loraRank: fixture.loraConfig.rank)
        let shared: Int
        switch policy {
        case .off: shared = 0
        case .layer: shared = ActivationCheckpointing.off.keptValuesPerTokenPerLayer(config, loraRank: fixture.loraConfig.rank) - config.hiddenSize
        case .selective: shared = 2 * config.hiddenSize + 2 + config.intermediateSize
        }
        let expected = 4 * n * (config.layerCount * perLayer + config.hiddenSize + shared)
        let slots = (config.layerCount + 1) * 20   // generous bound on slot count, each ≤ 63 bytes of padding
        #expect(model.savedActivationBytes >= expected && model.savedActivationBytes - expected < 64 * slots,
                "\(policy): \(model.savedActivationBytes) bytes planned, formula \(expected)")
    }

    /// SmolLM2's numbers as the documentation states them (B × T = 4 × 256, r = 16).
    @Test func smolLM2MemoryPerTokenPerLayer() throws {
        let config = try LlamaConfig.fromGGUF(try GGUFFile(contentsOf: try Paths.requireSmolLM2()))
        let bytes = ActivationCheckpointing.allCases.map { 4 * $0.keptValuesPerTokenPerLayer(config, loraRank: 16) }
        #expect(bytes == [34_284, 2_304, 23_524], "off, layer, selective")
        #expect(bytes.map { ($0 * 1024 * 30) >> 20 } == [1004, 67, 689], "MiB for 4 × 256 tokens over 30 layers")
    }
}

/// A small deterministic generator for test tokens.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
