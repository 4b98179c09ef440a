// Loss and every trainable gradient of one forward/backward against transformers + PEFT (f32):
// LoRA on all linear layers (plain, rsLoRA, with lm_head in modules_to_save), full fine-tuning,
// under every activation-checkpointing policy (off, layer, selective). Fixtures: tools/reference/grad_fixtures.py.
import Compute
import CPUBackend
import Foundation
import Models
import Quant
import Testing

@Suite struct GradientParityTests {
    /// Builds the tiny model of `fixture` for `mode`, with the script's adapter values loaded.
    func makeModel(_ fixture: GradientFixture, mode: TrainingMode, checkpointing: ActivationCheckpointing) throws -> TrainableModel {
        let dir = fixture.modelDirectory
        let backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: dir)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: dir), config: config, backend: backend)
        let batch = fixture.batch
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: mode, maxBatch: batch.batchSize,
                                       maxSequence: batch.sequenceLength, checkpointing: checkpointing, lossChunkRows: 7)
        try loadPatternedAdapters(model, bBound: fixture.bBound)
        return model
    }

    /// Runs one step and compares the loss and every gradient with the fixture.
    func expectParity(_ fixture: GradientFixture, _ model: TrainableModel, tolerance: Double = 1e-4) throws {
        let (loss, tokens) = try model.forwardBackward(fixture.batch)
        #expect(tokens == fixture.tokens)
        #expect(abs(loss - fixture.loss) <= 1e-5 * fixture.loss, "\(fixture.name): loss \(loss) vs PEFT \(fixture.loss)")
        let gradients = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.gradient) })
        #expect(Set(gradients.keys) == Set(fixture.tensors.map(\.name)), "\(fixture.name): trainable tensors differ from PEFT's")
        var worst = 0.0
        for reference in fixture.tensors {
            let gradient = try #require(gradients[reference.name], "\(fixture.name): no gradient for \(reference.name)")
            #expect(gradient.shape.dims == reference.shape)
            #expect(l2Norm(reference.values) > 0, "\(reference.name): reference gradient is zero")
            let error = relativeNormError(model.backend.readFloats(gradient), reference.values)
            worst = max(worst, error)
            #expect(error <= tolerance, "\(fixture.name): \(reference.name) relative error \(error)")
        }
        print("\(fixture.name): loss \(loss) (PEFT \(fixture.loss)), worst gradient relative error \(worst)")
    }

    @Test(arguments: ["llama_lora", "llama_rslora", "qwen2_lora", "llama3_lora_save_lm_head"], ActivationCheckpointing.allCases)
    func loraGradientsMatchPEFT(name: String, checkpointing: ActivationCheckpointing) throws {
        let fixture = try GradientFixture(name)
        let model = try makeModel(fixture, mode: .lora(fixture.loraConfig), checkpointing: checkpointing)
        try expectParity(fixture, model)
    }

    @Test(arguments: ["qwen2_full", "llama3_full"], ActivationCheckpointing.allCases)
    func fullFineTuningGradientsMatchTransformers(name: String, checkpointing: ActivationCheckpointing) throws {
        let fixture = try GradientFixture(name)
        let model = try makeModel(fixture, mode: .full, checkpointing: checkpointing)
        try expectParity(fixture, model)
    }

    @Test func gradientsAccumulateAndReset() throws {
        let fixture = try GradientFixture("llama_lora")
        let model = try makeModel(fixture, mode: .lora(fixture.loraConfig), checkpointing: .off)
        let batch = fixture.batch
        _ = try model.forwardBackward(batch, lossNormalizer: 2 * batch.targetTokenCount)
        _ = try model.forwardBackward(batch, lossNormalizer: 2 * batch.targetTokenCount)
        let reference = fixture.tensors[0]
        let accumulated = model.backend.readFloats(model.parameters.first { $0.name == reference.name }!.gradient)
        #expect(relativeNormError(accumulated, reference.values) <= 1e-4, "two half-weighted micro-batches sum to the mean gradient")
        model.zeroGradients()
        #expect(model.parameters.allSatisfy { model.backend.readFloats($0.gradient).allSatisfy { $0 == 0 } })
    }

    /// Central differences of the loss in f32 on a few adapter entries against the analytic gradient.
    @Test func loraGradientsMatchFiniteDifferences() throws {
        let fixture = try GradientFixture("llama_lora")
        let model = try makeModel(fixture, mode: .lora(fixture.loraConfig), checkpointing: .off)
        let batch = fixture.batch
        _ = try model.forwardBackward(batch)
        let adapters = model.exportAdapter()
        for (name, index) in [("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", 5),
                              ("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", 17),
                              ("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", 3)] {
            let parameter = try #require(model.parameters.first { $0.name == name })
            let analytic = Double(model.backend.readFloats(parameter.gradient)[index])
            let base = adapters[name]!.hostFloats()
            func loss(_ delta: Float) throws -> Double {
                var values = base
                values[index] += delta
                var tensors = adapters
                tensors[name] = Tensor.host(values, shape: adapters[name]!.shape)
                try model.loadAdapter(tensors)
                return Double(try model.loss(batch).loss)
            }
            let h: Float = 1e-2
            let numeric = (try loss(h) - loss(-h)) / Double(2 * h)
            #expect(abs(analytic) > 1e-4, "\(name)[\(index)]: gradient too small to check")
            #expect(abs(numeric - analytic) <= 2e-2 * abs(analytic) + 1e-4, "\(name)[\(index)]: numeric \(numeric) vs analytic \(analytic)")
        }
    }

    /// SmolLM2-135M (GGUF, dequantized to f32 as transformers does): LoRA r=8 on every linear layer, 1 × 64 tokens.
    @Test func smolLM2LoraGradientsMatchPEFT() throws {
        let fixture = try GradientFixture("smollm2_lora")
        let backend = makeBackend()
        let source = try GGUFWeights(contentsOf: try Paths.requireSmolLM2())
        let config = try LlamaConfig.fromGGUF(source.file)
        let weights = try LlamaWeights.load(from: source, config: config, backend: backend)
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(fixture.loraConfig),
                                       maxBatch: 1, maxSequence: 64, checkpointing: .selective)
        try loadPatternedAdapters(model, bBound: fixture.bBound)
        let (loss, tokens) = try model.forwardBackward(fixture.batch)
        #expect(tokens == fixture.tokens)
        #expect(abs(loss - fixture.loss) <= 1e-4 * fixture.loss, "loss \(loss) vs PEFT \(fixture.loss)")
        let gradients = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.gradient) })
        #expect(fixture.gradNorms.count == gradients.count && fixture.gradNorms.count == 30 * 7 * 2)
        var worstNorm = 0.0
        for (name, expected) in fixture.gradNorms {
            let gradient = try #require(gradients[name], "no gradient for \(name)")
            let error = abs(l2Norm(backend.readFloats(gradient)) - expected) / expected
            worstNorm = max(worstNorm, error)
            #expect(error <= 1e-4, "\(name): gradient norm relative error \(error)")
        }
        for reference in fixture.tensors {
            let error = relativeNormError(backend.readFloats(gradients[reference.name]!), reference.values)
            #expect(error <= 1e-4, "\(reference.name): relative error \(error)")
        }
        print("smollm2: loss \(loss) (PEFT \(fixture.loss)), worst norm error \(worstNorm)")
    }
}

extension GradientParityTests {
    /// QLoRA: the tiny Llama's Linear weights in NF4 (block 64, double quant), quantized by us from the f32 values
    /// bitsandbytes quantized (dequantization checked bit-exact); PEFT on bitsandbytes' dequantized weights is the
    /// reference (bnb's own CPU 4-bit matmul is not f32-exact: see grad_fixtures.py).
    @Test(arguments: ActivationCheckpointing.allCases)
    func qloraNF4GradientsMatchPEFTAndBitsandbytes(checkpointing: ActivationCheckpointing) throws {
        let fixture = try GradientFixture("llama_qlora_nf4")
        let dir = fixture.modelDirectory
        let backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: dir)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: dir), config: config, backend: backend)
        let fourBit = try FourBitBase.quantize(weights, config: config, backend: backend, type: .nf4, blockSize: 64, doubleQuant: true)
        #expect(fourBit.count == 7 * config.layerCount)
        let bnbDequantized = try loadFloats(Paths.fixtures.appendingPathComponent("grad/llama_qlora_nf4.q_proj0.bin"))
        let ours = try fourBit["model.layers.0.self_attn.q_proj"]!.dequantized()
        #expect(ours == bnbDequantized, "NF4 dequantization is bit-exact with bitsandbytes (max |Δ| \(maxAbsDifference(ours, bnbDequantized)))")
        let batch = fixture.batch
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(fixture.loraConfig),
                                       maxBatch: batch.batchSize, maxSequence: batch.sequenceLength,
                                       checkpointing: checkpointing, fourBitBase: fourBit)
        try loadPatternedAdapters(model, bBound: fixture.bBound)
        try expectParity(fixture, model)
        // The dense model gives another loss: the 4-bit base is really in use.
        let dense = try makeModel(fixture, mode: .lora(fixture.loraConfig), checkpointing: .off)
        #expect(abs(try dense.loss(batch).loss - fixture.loss) > 1e-3)
    }
}

extension GradientParityTests {
    /// A frozen base kept in bf16 (the checkpoint's own dtype, so values are unchanged) trains like the f32 one:
    /// matmul and the fused loss widen it on the fly; same PEFT gradients.
    @Test func loraOnABF16BaseMatchesPEFT() throws {
        let fixture = try GradientFixture("llama_lora")
        let dir = fixture.modelDirectory
        let backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: dir)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: dir), config: config, backend: backend, dtype: .bf16)
        #expect(weights.layers[0].query.dtype == .bf16 && weights.lmHead.dtype == .bf16)
        let batch = fixture.batch
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(fixture.loraConfig),
                                       maxBatch: batch.batchSize, maxSequence: batch.sequenceLength, checkpointing: .layer)
        try loadPatternedAdapters(model, bBound: fixture.bBound)
        try expectParity(fixture, model)
    }
}
