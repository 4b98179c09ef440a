// runner's side of a cell (`runner bench-cell`): builds LoRA, QLoRA (NF4 base, double quant) or
// full training the way the train stage does (TrainableModel + Training's AdamW, clipping, zeroing),
// runs the warm-up and timed optimizer steps on the spec's batches, and reports times and losses.
import Basics
import Compute
import CPUBackend
import Foundation
import Models
import Training

public enum RunnerCell {
    /// Trains `spec` and returns what happened.
    /// - Parameter checkpointing: the policy; nil: the cell's (`.layer` when its checkpointing is on, else `.off`).
    /// - Throws: `RunnerError` for a model, batches file or adapter that does not fit the spec.
    public static func run(_ spec: CellSpec, checkpointing: ActivationCheckpointing? = nil) throws -> CellOutcome {
        let cell = spec.cell
        let backend = try CPUBackend(matmulPrecision: cell.precision == .bf16 ? .bf16 : .f32)
        let policy = checkpointing ?? (cell.gradientCheckpointing ? .layer : .off)
        let model = try makeModel(spec, backend: backend, checkpointing: policy)
        if let adapter = spec.initialAdapter {
            try model.loadAdapter(try InitialAdapter.read(URL(fileURLWithPath: adapter)))
        }
        let parameters = model.parameters.map {
            Training.TrainableParameter(name: $0.name, value: $0.value, gradient: $0.gradient,
                                        decays: Training.TrainableParameter.transformersDecays($0.name))
        }
        let optimizer = try AdamW(parameters: parameters, hyperparameters: AdamWHyperparameters(), backend: backend)
        let gradients = parameters.map(\.gradient)
        let total = spec.warmupSteps + spec.steps
        let batches = try TokenBatches.read(URL(fileURLWithPath: spec.batchesFile), batch: cell.batchSize, length: cell.sequenceLength, steps: total)

        var losses: [Double] = [], seconds: [Double] = []
        for (step, tokens) in batches.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            let (loss, _) = try model.forwardBackward(TrainingBatch(tokens: tokens, labels: tokens, batchSize: cell.batchSize), step: step)
            if spec.maxGradNorm > 0 {
                _ = GradientClipping.clipGlobalNorm(gradients, maxNorm: spec.maxGradNorm, backend: backend)
            }
            optimizer.step(learningRate: spec.learningRate)
            model.zeroGradients()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            losses.append(Double(loss))
            if step >= spec.warmupSteps { seconds.append(elapsed) }
        }
        var notes = ["engine": "runner CPUBackend (\(cell.precision.rawValue) matmuls)", "checkpointing": policy.rawValue,
                     "saved_activation_mib": "\(model.savedActivationBytes >> 20)"]
        if let kernel = backend.bf16Kernel { notes["bf16_kernel"] = kernel }
        return CellOutcome(stepSeconds: seconds, losses: losses, trainableParameters: model.trainableParameterCount,
                           threads: backend.workers, notes: notes)
    }

    /// The trainable model of `spec`; an NF4 base is quantized tensor by tensor while it is read.
    static func makeModel(_ spec: CellSpec, backend: CPUBackend, checkpointing: ActivationCheckpointing) throws -> TrainableModel {
        let cell = spec.cell
        let (config, source) = try BenchModel.open(spec.model)
        let bf16 = cell.precision == .bf16
        // An NF4 base is quantized tensor by tensor, as the train stage does: the dense base never exists whole.
        let quantized = cell.method == .qlora ? try FourBitBase.load(from: source, config: config, backend: backend, denseDType: bf16 ? .bf16 : .f32) : nil
        let weights = try quantized?.weights
            ?? LlamaWeights.load(from: source, config: config, backend: backend, dtype: bf16 && cell.method == .lora ? .bf16 : .f32)
        let mode: TrainingMode = cell.method == .full ? .full : .lora(loraConfig(spec))
        return try TrainableModel(config: config, weights: weights, backend: backend, mode: mode, maxBatch: cell.batchSize,
                                  maxSequence: cell.sequenceLength, checkpointing: checkpointing,
                                  quantizedBase: quantized?.quantized ?? [:], dequantizedType: bf16 ? .bf16 : .f32)
    }

    /// LoRA on every linear layer of every block, dropout 0, PEFT's kaiming-uniform A and zero B.
    static func loraConfig(_ spec: CellSpec) -> LoraConfig {
        LoraConfig(rank: spec.cell.rank, alpha: Float(spec.loraAlpha), dropout: 0, targets: .allLinear, seed: spec.seed)
    }
}
