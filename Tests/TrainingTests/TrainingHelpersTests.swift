// Parameter groups (transformers' decay rule), gradient accumulation, schedule validation and the
// CPU kernels' parallel paths (same bits as the single-threaded path; f64 norms), and the 8-bit kernel's quantizer against module Quant.
import struct Basics.SplitMix64
import CPUBackend
import Compute
import Quant
import RunnerTestSupport
import Testing
import Training

@Suite struct TrainingHelpersTests {
    @Test func weightDecayGroupsFollowTransformers() {
        let decayed = ["model.layers.0.self_attn.q_proj.weight", "lm_head.weight", "model.embed_tokens.weight",
                       "model.layers.3.mlp.down_proj.lora_A.default.weight", "model.normalizer.weight"]
        let notDecayed = ["model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                          "model.norm.weight", "model.layers.1.self_attn.q_proj.bias", "encoder.RMSNorm.weight",
                          "model.layers.2.self_attn.q_norm.weight", "norm"]
        for name in decayed { #expect(TrainableParameter.transformersDecays(name), "\(name) should decay") }
        for name in notDecayed { #expect(!TrainableParameter.transformersDecays(name), "\(name) should not decay") }
    }

    @Test func accumulationSplitsEpochsAsTransformers() throws {
        let accumulation = try GradientAccumulation(steps: 4)
        #expect(accumulation.optimizerSteps(microBatchesPerEpoch: 10) == 3)
        #expect(accumulation.microBatches(ofStep: 0, microBatchesPerEpoch: 10) == 0..<4)
        #expect(accumulation.microBatches(ofStep: 2, microBatchesPerEpoch: 10) == 8..<10)
        #expect(accumulation.optimizerSteps(microBatchesPerEpoch: 8) == 2)
        #expect(throws: (any Error).self) { try GradientAccumulation(steps: 0) }
        #expect(throws: (any Error).self) {
            try GradientAccumulation.lossScale(.tokensInStep, tokensInMicroBatch: 0, tokensInStep: 0, microBatchesInStep: 2)
        }
    }

    /// Per-token loss ½(w·x − y)²: summing micro-batch gradients scaled by `lossScale` gives the
    /// gradient of the token mean over the whole step (`.tokensInStep`), or the mean of per-micro-batch
    /// means (`.meanPerMicroBatch`).
    @Test func lossScalesTurnSummedGradientsIntoTheStepLoss() throws {
        var random = SplitMix64(seed: 11)
        let w = random.floats(3).map(Double.init)
        let microBatches = [5, 2, 9].map { n in (0..<n).map { _ in (random.floats(3).map(Double.init), Double(random.floats(1)[0])) } }
        func gradient(_ tokens: [([Double], Double)]) -> [Double] {
            var g = [0.0, 0.0, 0.0]
            for (x, y) in tokens {
                let r = zip(w, x).map(*).reduce(0, +) - y
                for i in 0..<3 { g[i] += r * x[i] }
            }
            return g
        }
        let total = microBatches.map(\.count).reduce(0, +)
        var tokenSum = [0.0, 0.0, 0.0], meanSum = [0.0, 0.0, 0.0]
        for mb in microBatches {
            let g = gradient(mb)
            let tokenScale = try GradientAccumulation.lossScale(.tokensInStep, tokensInMicroBatch: mb.count, tokensInStep: total,
                                                                microBatchesInStep: microBatches.count)
            let meanScale = try GradientAccumulation.lossScale(.meanPerMicroBatch, tokensInMicroBatch: mb.count, tokensInStep: total,
                                                               microBatchesInStep: microBatches.count)
            for i in 0..<3 { tokenSum[i] += g[i] * Double(tokenScale); meanSum[i] += g[i] * Double(meanScale) }
        }
        let whole = gradient(microBatches.flatMap { $0 }).map { $0 / Double(total) }
        let meanOfMeans = (0..<3).map { i in microBatches.map { gradient($0)[i] / Double($0.count) }.reduce(0, +) / 3 }
        for i in 0..<3 {
            #expect(abs(tokenSum[i] - whole[i]) <= 1e-6 * abs(whole[i]))
            #expect(abs(meanSum[i] - meanOfMeans[i]) <= 1e-6 * abs(meanOfMeans[i]))
        }
    }

    @Test func scheduleSettingsAreValidated() throws {
        #expect(Warmup.ratio(0.07).steps(totalSteps: 100) == 8)  // ⌈7.000000000000001⌉, as Python
        #expect(Warmup.ratio(0.05).steps(totalSteps: 100) == 5)
        #expect(throws: (any Error).self) { try LearningRateSchedule(kind: .linear, baseLearningRate: 1e-4, totalSteps: 10, warmup: .ratio(1)) }
        #expect(throws: (any Error).self) { try LearningRateSchedule(kind: .linear, baseLearningRate: 1e-4, totalSteps: 10, warmup: .steps(-1)) }
        #expect(throws: (any Error).self) { try LearningRateSchedule(kind: .linear, baseLearningRate: 1e-4, totalSteps: 0) }
        #expect(throws: (any Error).self) { try LearningRateSchedule(kind: .cosineWithMinLR, baseLearningRate: 1e-4, totalSteps: 10) }
        #expect(throws: (any Error).self) {
            try LearningRateSchedule(kind: .cosine, baseLearningRate: 1e-4, totalSteps: 10, minLearningRateRatio: 0.1)
        }
        #expect(throws: (any Error).self) {
            try LearningRateSchedule(kind: .cosineWithMinLR, baseLearningRate: 1e-4, totalSteps: 10, minLearningRate: 1e-5, minLearningRateRatio: 0.1)
        }
        // Past the end, linear and cosine stay at their floor (LambdaLR keeps evaluating the lambda).
        let linear = try LearningRateSchedule(kind: .linear, baseLearningRate: 1e-4, totalSteps: 10)
        #expect(linear.learningRate(atStep: 12) == 0)
    }

    /// Tensors big enough to be split across cores give the bits of the same elements updated as
    /// small (single-threaded) tensors.
    @Test func parallelKernelsMatchSmallTensors() throws {
        let backend = CPUBackend()
        let n = 70_000, piece = 3_500
        var random = SplitMix64(seed: 21)
        let p0 = random.floats(n), g = random.floats(n, scale: 0.1)
        func tensor(_ values: [Float]) -> Tensor {
            let t = backend.allocate(Shape([values.count]), dtype: .f32)
            backend.write(values, to: t)
            return t
        }
        for rule in [AdamWRule.torch, .bitsandbytes] {
            // One tensor of n (split across cores) against n / piece tensors (each on one thread).
            let whole = (p: tensor(p0), g: tensor(g), m: tensor([Float](repeating: 0, count: n)), v: tensor([Float](repeating: 0, count: n)))
            let pieces = stride(from: 0, to: n, by: piece).map { start in
                (p: tensor(Array(p0[start..<(start + piece)])), g: tensor(Array(g[start..<(start + piece)])),
                 m: tensor([Float](repeating: 0, count: piece)), v: tensor([Float](repeating: 0, count: piece)))
            }
            for step in 1...2 {
                for t in [whole] + pieces {
                    backend.adamwStep(param: t.p, grad: t.g, m: t.m, v: t.v, step: step, lr: 1e-3,
                                      beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, rule: rule)
                }
            }
            #expect(backend.readFloats(whole.p) == pieces.flatMap { backend.readFloats($0.p) }, "\(rule) parameters")
            #expect(backend.readFloats(whole.v) == pieces.flatMap { backend.readFloats($0.v) }, "\(rule) second moment")
        }
        let big = tensor(g)
        // Norm: f64 in fixed chunks, so equal to a serial f64 sum up to f64 rounding.
        let serial = g.reduce(0.0) { $0 + Double($1) * Double($1) }
        let norm = backend.squaredL2Norm(big)
        #expect(abs(norm - serial) <= 1e-12 * serial)
        #expect(norm == backend.squaredL2Norm(big))
    }
}

/// The CPU 8-bit kernel's quantizer is the one of module Quant (bitsandbytes' `quantize_blockwise`):
/// with β1 = β2 = 0 the new moments are exactly g and g², so their codes and absmax must equal
/// `Blockwise8Bit.quantize` of those values, special values included.
@Suite struct EightBitQuantizerTests {
    @Test func kernelQuantizesAsQuantModule() throws {
        let backend = CPUBackend()
        let n = 256 * 37 + 100
        var random = SplitMix64(seed: 31)
        var g = random.floats(n, scale: 0.05)
        for i in stride(from: 0, to: n, by: 613) { g[i] *= 40 }  // block maxima vary
        g[5] = .nan; g[300] = 0; g[301] = -0.0; g[2000] = .infinity
        for i in 512..<768 { g[i] = 0 }  // an all-zero block
        let param = makeParameter(backend, name: "w", values: random.floats(n), decays: false)
        backend.write(g, to: param.gradient)
        let optimizer = try AdamW8bit(parameters: [param], hyperparameters: .init(beta1: 0, beta2: 0), backend: backend)
        optimizer.step(learningRate: 1e-3)
        let state = optimizer.stateTensors()

        let first = try Blockwise8Bit.quantize(g, codebook: .dynamicSigned, blockSize: 256)
        let second = try Blockwise8Bit.quantize(g.map { $0 * $0 }, codebook: .dynamicUnsigned, blockSize: 256)
        #expect(state["w.state1"]!.bytes == first.codes)
        #expect(state["w.state2"]!.bytes == second.codes)
        #expect(state["w.absmax1"]!.bytes == first.absmax.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #expect(state["w.absmax2"]!.bytes == second.absmax.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }
}
