// The `train` stage: builds a trainable model from the `model` input's lineage (base weights from
// `load`, or the quantized base — NF4/FP4/int8 — read from the `quantize` artifact upstream; LoRA
// settings from `lora`, or every weight in `mode: full`), runs the step loop on the `data` input,
// and writes the adapter in PEFT layout (or the full model) plus `metrics.json`.
import Basics
import Compute
import CPUBackend
import Data
import Formats
import Foundation
import Models
import Pipeline
import Quant
import Training

struct TrainStage: StageImplementation {
    static let kind = "train"
    static let version = 3   // 3: bf16 matmuls (matmul_precision), quantized bases loaded tensor by tensor
    static let adapterFile = "adapter_model.safetensors"
    static let metricsFile = "metrics.json"

    func run(_ context: StageContext) throws -> StageResult {
        let name = context.stage.name
        let full = try context.string("mode") == "full"
        let lineage = try ModelLineage(try context.input("model"), for: name)
        guard full || lineage.lora != nil else {
            throw RunnerError("stage `\(name)`", "adapter training needs a `lora` stage upstream of `model`", hint: "or set mode: full")
        }
        let precision = try Self.matmulPrecision(context, full: full)
        let backend = try Self.backend(precision, context)
        let (config, weights, quantizedBase) = try Self.baseModel(lineage, backend: backend)

        let dataInput = try context.input("data")
        let train = try DatasetArtifact(contentsOf: dataInput.file("train.bin"))
        let evalURL = dataInput.file("eval.bin")
        let eval = FileManager.default.fileExists(atPath: evalURL.path) ? try DatasetArtifact(contentsOf: evalURL) : nil
        guard train.rowCount > 0 else { throw RunnerError("stage `\(name)`", "the training dataset has no rows") }
        guard train.vocabularySize <= config.vocabSize else {
            throw RunnerError("stage `\(name)`", "the dataset was tokenized for \(train.vocabularySize) tokens but the model has \(config.vocabSize)",
                              hint: "tokenize with the model's own tokenizer (dataset `tokenizer` input)")
        }

        let batchSize = try context.int("batch_size")
        let mode: TrainingMode = full ? .full : .lora(try Self.loraConfig(lineage))
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: mode, maxBatch: batchSize,
                                       maxSequence: max(train.maxSequenceLength, eval?.maxSequenceLength ?? 0),
                                       checkpointing: try context.activationCheckpointing(), quantizedBase: quantizedBase,
                                       dequantizedType: backend.matmulPrecision == .bf16 ? .bf16 : .f32)
        let parameters = model.parameters.map {
            Training.TrainableParameter(name: $0.name, value: $0.value, gradient: $0.gradient,
                                        decays: Training.TrainableParameter.transformersDecays($0.name))
        }
        let optimizer = try Self.optimizer(context, parameters: parameters, backend: backend)
        let batches = TrainBatches(data: train, batchSize: batchSize,
                                   accumulation: try GradientAccumulation(steps: try context.int("gradient_accumulation")),
                                   seed: UInt64(bitPattern: Int64(try context.optionalInt("seed") ?? Int(context.seed))))
        let totalSteps = try context.optionalInt("max_steps") ?? (try context.int("epochs")) * batches.stepsPerEpoch
        let schedule = try Self.schedule(context, totalSteps: totalSteps)
        context.log("\(full ? "full fine-tuning" : lineage.quantize != nil ? "QLoRA (\(lineage.quantize!.method) base)" : "LoRA"): "
                    + "\(model.trainableParameterCount) trainable parameters, \(backend.matmulPrecision.rawValue) matmuls; \(train.rowCount) rows, "
                    + "\(totalSteps) steps of \(batchSize) × \(batches.accumulation.steps) sequences; activation checkpointing "
                    + "\(model.checkpointing.rawValue): \(model.savedActivationBytes >> 20) MiB of saved activations")

        var loop = TrainLoop(model: model, optimizer: optimizer, schedule: schedule, batches: batches,
                             evalBatches: eval.map { TrainBatches.sequential($0, batchSize: batchSize) } ?? [],
                             totalSteps: totalSteps, maxGradNorm: try context.double("max_grad_norm"),
                             logEvery: try context.int("log_every"), evalEvery: try context.optionalInt("eval_every"), backend: backend)
        loop.saveEvery = try context.optionalInt("save_every")
        loop.checkpoints = try context.checkpointDirectory.map { directory in
            TrainCheckpointStore(directory: directory, fingerprint: TrainCheckpointFingerprint(
                cacheKey: context.cacheKey, implementation: "\(Self.kind) v\(Self.version), \(backend.matmulPrecision.rawValue) matmuls",
                mode: full ? "full" : "lora",
                optimizer: try context.string("optimizer"), totalSteps: totalSteps,
                parameters: model.parameters.map { (name: $0.name, shape: $0.value.shape.dims) }))
        }
        let outcome = try loop.run(context)
        try Self.writeOutputs(model, lineage: lineage, full: full, outcome: outcome, to: context.outputDirectory)

        var metrics: [String: Double] = ["steps": Double(outcome.steps.count), "tokens": Double(outcome.tokens),
                                         "tokens_per_second": Double(outcome.tokens) / max(outcome.seconds, 1e-9),
                                         "train_loss": outcome.steps.last?.loss ?? .nan,
                                         "bf16_matmuls": backend.matmulPrecision == .bf16 ? 1 : 0]
        if let evalLoss = outcome.evals.last?.loss { metrics["eval_loss"] = evalLoss }
        return StageResult(metrics: metrics)
    }

    /// The LoRA settings recorded by the `lora` stage, as the model takes them.
    static func loraConfig(_ lineage: ModelLineage) throws -> LoraConfig {
        let (peft, initRecord) = lineage.lora!
        let targets: LoraTargets = Set(peft.targetModules) == Set(PeftAdapterConfig.allLinear) ? .allLinear : .names(peft.targetModules)
        return LoraConfig(rank: peft.r, alpha: Float(peft.loraAlpha), dropout: Float(peft.loraDropout), targets: targets,
                          useRSLoRA: peft.useRslora, initialization: initRecord.scheme == "gaussian" ? .gaussian : .kaimingUniform,
                          seed: UInt64(bitPattern: Int64(initRecord.seed)), modulesToSave: peft.modulesToSave ?? [], useDora: peft.useDora)
    }

    /// The `matmul_precision` param (inherited from an upstream `quantize` stage's `compute_dtype`).
    /// - Throws: for bf16 in full fine-tuning, whose f32 master weights are what it multiplies.
    static func matmulPrecision(_ context: StageContext, full: Bool) throws -> MatmulPrecision {
        let text = try context.string("matmul_precision")
        guard let precision = MatmulPrecision(rawValue: text) else {
            throw RunnerError("stage `\(context.stage.name)`: matmul_precision", "`\(text)` is not a matmul precision", hint: "use f32 or bf16")
        }
        if full && precision == .bf16 {
            throw RunnerError("stage `\(context.stage.name)`: matmul_precision",
                              "bf16 multiplies frozen base weights; full fine-tuning multiplies its f32 master weights",
                              hint: "use matmul_precision: f32 with mode: full, or train adapters (a `lora` stage)")
        }
        return precision
    }

    /// The CPU backend for `precision`. A CPU without bf16 units (AVX-512 BF16 or AMX) multiplies in
    /// f32 instead, said in the log: the weights keep their bf16 rounding, only the products are exact.
    static func backend(_ precision: MatmulPrecision, _ context: StageContext) throws -> CPUBackend {
        guard precision == .bf16 else { return CPUBackend() }
        do {
            return try CPUBackend(matmulPrecision: .bf16)
        } catch let error as RunnerError {
            context.log("matmul_precision bf16: \(error.message); multiplying in f32 instead")
            return CPUBackend()
        }
    }

    /// The base model: from the `quantize` artifact when there is one — its quantized Linears as
    /// stored (rounded to bf16 when `compute_dtype` is bf16), read without ever dequantizing them
    /// all, everything else dense — else from `load`. Dense matrices (and, on a quantized base, the
    /// embedding and LM head) are stored bf16 when `backend` multiplies in bf16.
    static func baseModel(_ lineage: ModelLineage, backend: CPUBackend)
        throws -> (LlamaConfig, LlamaWeights, [String: any DequantizableWeight]) {
        let denseDType: DType = backend.matmulPrecision == .bf16 ? .bf16 : .f32
        guard let quantized = lineage.quantized, let settings = lineage.quantize else {
            let bundle = try ModelBundle.open(lineage.base.directory)
            return (bundle.config, try LlamaWeights.load(from: bundle.weightSource(), config: bundle.config, backend: backend, dtype: denseDType), [:])
        }
        let config = try LlamaConfig.load(contentsOf: quantized.directory)
        let source = try BitsAndBytesWeights(at: quantized.directory)
        guard !source.quantized.isEmpty else {
            throw RunnerError(quantized.directory.path, "holds no quantized Linear weights", hint: "re-run the `\(quantized.stageName)` stage")
        }
        let base = try FourBitBase.load(from: source, config: config, backend: backend, denseDType: denseDType) { path, _, _ in
            source.quantized[path].map { settings.computeDType == "bf16" ? BF16RoundedWeight($0) as any DequantizableWeight : $0 }
        }
        return (config, base.weights, base.quantized)
    }

    static func optimizer(_ context: StageContext, parameters: [Training.TrainableParameter], backend: any OptimizerBackend) throws -> any Optimizer {
        let name = try context.string("optimizer")
        let kind = try OptimizerKind(transformersName: name == "adamw" ? "adamw_torch" : name)
        let decay = try context.double("weight_decay")
        let adam = AdamWHyperparameters(beta1: try context.double("adam_beta1"), beta2: try context.double("adam_beta2"),
                                        epsilon: try context.double("adam_epsilon"), weightDecay: decay)
        let sgd = SGDHyperparameters(momentum: try context.optionalDouble("momentum") ?? 0, weightDecay: decay)
        return try kind.make(parameters: parameters, adam: adam, sgd: sgd, backend: backend)
    }

    static func schedule(_ context: StageContext, totalSteps: Int) throws -> LearningRateSchedule {
        let warmup: Warmup = try context.optionalInt("warmup_steps").map { .steps($0) } ?? .ratio(try context.double("warmup_ratio"))
        let minRatio = try context.double("min_lr_ratio")
        var kind = ScheduleKind(rawValue: try context.string("scheduler")) ?? .linear
        if kind == .cosine && minRatio > 0 { kind = .cosineWithMinLR }
        return try LearningRateSchedule(kind: kind, baseLearningRate: try context.double("learning_rate"), totalSteps: totalSteps,
                                        warmup: warmup, minLearningRateRatio: kind == .cosineWithMinLR ? minRatio : nil)
    }

    /// Adapter mode: `adapter_model.safetensors` (f32, PEFT names) and the `lora` stage's
    /// `adapter_config.json` (`base_model_name_or_path` from the `load` path). Full mode: the base
    /// artifact's files with `model.safetensors` replaced by the trained weights (f32, transformers
    /// names). Both: `metrics.json`.
    static func writeOutputs(_ model: TrainableModel, lineage: ModelLineage, full: Bool, outcome: TrainLoop.Outcome, to directory: URL) throws {
        let tensors = model.parameters.map {
            SafetensorsTensor(name: $0.name, shape: $0.value.shape.dims, floats: model.backend.readFloats($0.value))
        }
        if full {
            for file in lineage.base.manifest.files where !file.path.hasSuffix(".safetensors") && !file.path.hasSuffix(".safetensors.index.json") {
                let target = directory.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try AtomicFile.write(Data(contentsOf: lineage.base.file(file.path)), to: target)
            }
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors"))
        } else {
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(adapterFile))
            try StageJSON.write(lineage.lora!.config.identifyingBase(lineage.base), to: directory.appendingPathComponent(PeftAdapterConfig.fileName))
        }
        try StageJSON.write(TrainMetrics(steps: outcome.steps, eval: outcome.evals, seconds: outcome.seconds, tokens: outcome.tokens),
                            to: directory.appendingPathComponent(metricsFile))
    }
}

/// `metrics.json`: every step's loss, learning rate and gradient norm, and every evaluation.
struct TrainMetrics: Codable {
    var steps: [StepRecord]
    var eval: [EvalRecord]
    var seconds: Double
    var tokens: Int
}
