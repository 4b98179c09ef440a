// Five AdamW steps of DoRA against transformers + PEFT (`use_dora=True`, f32): PEFT's own init (A from
// torch's generator, B = 0, m = ‖W‖ — runner computes m itself), the same batches, AdamW with weight
// decay on every tensor, clipping to 1.0, constant learning rate. Every step's loss and gradient norm
// must follow (the issue asks for 1e-3 relative on the loss). Fixture: tools/reference/dora_fixtures.py.
import Compute
import CPUBackend
import Foundation
import Models
import Testing
import Training

@Suite struct DoraTrajectoryTests {
    static let modelsFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ModelsTests/Fixtures")

    @Test func doraLossFollowsPEFTForFiveAdamWSteps() throws {
        let dir = Self.modelsFixtures.appendingPathComponent("dora")
        let meta = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("trajectory.json"))) as? [String: Any])
        let blob = try Data(contentsOf: dir.appendingPathComponent("trajectory.bin")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        func number(_ key: String) -> Double { (meta[key] as! NSNumber).doubleValue }
        let batches = (meta["batches"] as! [[String: Any]]).map { batch in
            let ids = batch["input_ids"] as! [[Int]], labels = batch["labels"] as! [[Int]]
            return TrainingBatch(tokens: ids.flatMap { $0.map(Int32.init) }, labels: labels.flatMap { $0.map(Int32.init) }, batchSize: ids.count)
        }

        let tiny = Self.modelsFixtures.appendingPathComponent("tiny/\(meta["model"] as! String)")
        let backend = CPUBackend()
        let config = try LlamaConfig.load(contentsOf: tiny)
        let weights = try LlamaWeights.load(from: SafetensorsWeights(at: tiny), config: config, backend: backend)
        let lora = LoraConfig(rank: meta["r"] as! Int, alpha: Float(number("alpha")), dropout: 0, targets: .allLinear, useDora: true)
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(lora),
                                       maxBatch: batches[0].batchSize, maxSequence: batches[0].sequenceLength)
        var start = model.exportAdapter()   // B = 0 and runner's own magnitudes (‖W‖); A from PEFT
        for entry in meta["tensors"] as! [[String: Any]] {
            let shape = entry["shape"] as! [Int], offset = entry["offset"] as! Int
            start[entry["name"] as! String] = Tensor.host(Array(blob[offset..<offset + shape.reduce(1, *)]), shape: Shape(shape))
        }
        #expect(start.keys.filter { $0.hasSuffix(".lora_magnitude_vector") }.count == 2 * 7)
        try model.loadAdapter(start)

        let parameters = model.parameters.map {
            Training.TrainableParameter(name: $0.name, value: $0.value, gradient: $0.gradient,
                                        decays: Training.TrainableParameter.transformersDecays($0.name))
        }
        #expect(parameters.allSatisfy { $0.decays }, "transformers decays every LoRA/DoRA tensor")
        let optimizer = try AdamW(parameters: parameters, hyperparameters: AdamWHyperparameters(
            beta1: number("beta1"), beta2: number("beta2"), epsilon: number("epsilon"), weightDecay: number("weight_decay")), backend: backend)
        let losses = meta["losses"] as! [Double], norms = meta["grad_norms"] as! [Double]
        #expect(batches.count == 5 && losses.count == 5)
        for (step, batch) in batches.enumerated() {
            let (loss, _) = try model.forwardBackward(batch, step: step)
            let norm = GradientClipping.clipGlobalNorm(parameters.map(\.gradient), maxNorm: number("max_grad_norm"), backend: backend)
            optimizer.step(learningRate: number("learning_rate"))
            model.zeroGradients()
            #expect(abs(Double(loss) - losses[step]) <= 1e-4 * losses[step], "step \(step + 1): loss \(loss) vs PEFT \(losses[step])")
            #expect(abs(Double(norm) - norms[step]) <= 1e-3 * norms[step], "step \(step + 1): grad norm \(norm) vs PEFT \(norms[step])")
        }
    }
}
