// 20 optimizer steps of LoRA (and QLoRA on an NF4 base) against transformers + PEFT (+ bitsandbytes):
// the same tiny Llama, PEFT's own adapter init, the same batches, AdamW, clipping and linear warmup
// schedule — every step's loss, gradient norm and learning rate must follow the reference (the issue
// asks for 1e-3 relative; we check 1e-4, and see ~1e-6).
// Fixtures: tools/reference/trajectory_fixtures.py (Fixtures/trajectory).
import Compute
import CPUBackend
import Foundation
import Models
import Quant
import Testing
import Training

@Suite struct TrajectoryParityTests {
    struct Reference {
        let meta: [String: Any]
        let blob: [Float]

        init() throws {
            let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/trajectory")
            let json = dir.appendingPathComponent("trajectory.json"), bin = dir.appendingPathComponent("trajectory.bin")
            guard let data = FileManager.default.contents(atPath: json.path), let raw = FileManager.default.contents(atPath: bin.path) else {
                throw TrajectoryFixtureMissing()
            }
            meta = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            blob = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }

        var hyper: [String: Any] { meta["hyper"] as! [String: Any] }
        func double(_ key: String) -> Double { (hyper[key] as! NSNumber).doubleValue }
        func int(_ key: String) -> Int { (hyper[key] as! NSNumber).intValue }
        func record(_ name: String) -> [String: [Double]] {
            ((meta["cases"] as! [String: Any])[name] as! [String: Any]).compactMapValues { $0 as? [Double] }
        }

        /// PEFT's initial adapter tensors, by their saved names.
        var initialAdapter: [String: Tensor] {
            var out: [String: Tensor] = [:]
            for entry in meta["tensors"] as! [[String: Any]] {
                let shape = entry["shape"] as! [Int], offset = entry["offset"] as! Int
                out[entry["name"] as! String] = Tensor.host(Array(blob[offset..<offset + shape.reduce(1, *)]), shape: Shape(shape))
            }
            return out
        }

        var batches: [TrainingBatch] {
            (meta["batches"] as! [[String: Any]]).map { batch in
                let ids = (batch["input_ids"] as! [[Int]]), labels = (batch["labels"] as! [[Int]])
                return TrainingBatch(tokens: ids.flatMap { $0.map(Int32.init) }, labels: labels.flatMap { $0.map(Int32.init) }, batchSize: ids.count)
            }
        }
    }

    struct TrajectoryFixtureMissing: Error, CustomStringConvertible {
        var description: String { "Fixtures/trajectory missing; run .venv/bin/python tools/reference/trajectory_fixtures.py" }
    }

    /// Runs the reference's 20 steps with our model, AdamW, clipping and schedule; returns per-step
    /// (loss, grad norm, learning rate).
    func run(_ reference: Reference, nf4: Bool) throws -> [(loss: Double, norm: Double, rate: Double)] {
        let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ModelsTests/Fixtures/tiny/llama_tied_bf16")
        let backend = CPUBackend()
        let config = try LlamaConfig.load(contentsOf: tiny)
        let weights = try LlamaWeights.load(from: SafetensorsWeights(at: tiny), config: config, backend: backend)
        let base = nf4 ? try FourBitBase.quantize(weights, config: config, backend: backend, type: .nf4, blockSize: 64, doubleQuant: true) : [:]
        let batches = reference.batches
        let lora = LoraConfig(rank: reference.int("r"), alpha: Float(reference.double("alpha")), dropout: 0, targets: .allLinear)
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(lora),
                                       maxBatch: batches[0].batchSize, maxSequence: batches[0].sequenceLength, fourBitBase: base)
        try model.loadAdapter(reference.initialAdapter)
        let parameters = model.parameters.map {
            Training.TrainableParameter(name: $0.name, value: $0.value, gradient: $0.gradient,
                                        decays: Training.TrainableParameter.transformersDecays($0.name))
        }
        let optimizer = try AdamW(parameters: parameters, hyperparameters: AdamWHyperparameters(
            beta1: reference.double("beta1"), beta2: reference.double("beta2"), epsilon: reference.double("epsilon"),
            weightDecay: reference.double("weight_decay")), backend: backend)
        let schedule = try LearningRateSchedule(kind: .linear, baseLearningRate: reference.double("learning_rate"),
                                                totalSteps: reference.int("steps"), warmup: .steps(reference.int("warmup_steps")))
        var out: [(loss: Double, norm: Double, rate: Double)] = []
        for (step, batch) in batches.enumerated() {
            let (loss, _) = try model.forwardBackward(batch, lossNormalizer: batch.targetTokenCount, step: step)
            let norm = GradientClipping.clipGlobalNorm(parameters.map(\.gradient), maxNorm: reference.double("max_grad_norm"), backend: backend)
            let rate = schedule.learningRate(atStep: optimizer.stepCount)
            optimizer.step(learningRate: rate)
            model.zeroGradients()
            out.append((Double(loss), Double(norm), rate))
        }
        return out
    }

    @Test(arguments: ["lora", "qlora_nf4"])
    func perStepLossFollowsPEFT(name: String) throws {
        let reference = try Reference()
        let expected = reference.record(name)
        let ours = try run(reference, nf4: name == "qlora_nf4")
        let losses = try #require(expected["losses"]), norms = try #require(expected["grad_norms"]), rates = try #require(expected["learning_rates"])
        #expect(ours.count == 20 && losses.count == 20)
        #expect(losses.last! < losses.first! - 0.1, "the reference run should learn something")
        for (step, (mine, theirs)) in zip(ours, zip(losses, zip(norms, rates))).enumerated() {
            #expect(abs(mine.loss - theirs.0) <= 1e-4 * abs(theirs.0), "\(name) step \(step + 1): loss \(mine.loss) vs \(theirs.0)")
            #expect(abs(mine.norm - theirs.1.0) <= 1e-4 * abs(theirs.1.0), "\(name) step \(step + 1): grad norm \(mine.norm) vs \(theirs.1.0)")
            #expect(abs(mine.rate - theirs.1.1) <= 1e-12, "\(name) step \(step + 1): learning rate \(mine.rate) vs \(theirs.1.1)")
        }
    }
}
