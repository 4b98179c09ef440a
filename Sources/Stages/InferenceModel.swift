// The one way stages and the CLI get a model to run inference with, whatever stands behind it: a
// `load`, `merge` or full-mode `train` artifact (a plain checkpoint), a `quantize` / `prepare_kbit` /
// `lora` lineage (the base as its 4-bit round trip), or an adapter from `train` / `save` (merged
// into its base), or a model file plus a PEFT adapter directory.
import Basics
import Compute
import Foundation
import Models
import Pipeline
import Quant

/// A model ready to load for inference: tokenizer and chat template from the base, weights with
/// any adapter merged and any quantization round-tripped.
public struct InferenceModel {
    /// The base as opened (tokenizer, chat template, generation defaults, end-of-sequence ids).
    public let bundle: ModelBundle
    /// The config to run: the base's, with the head untied when an adapter's saved copy requires it.
    public let config: LlamaConfig
    /// Every weight in Hugging Face naming (`AdaptedWeights`).
    public let weights: AdaptedWeights
    /// One line for logs: what was combined (`base + adapter r=8 on 14 modules, nf4 round trip`).
    public let summary: String

    /// Loads the weights onto `backend` and plans the arena.
    public func loadModel(backend: any Backend, weightDType: DType = .f32, maxBatch: Int = 1, maxSequence: Int,
                          logits: LogitsPolicy = .lastPosition) throws -> LlamaModel {
        let loaded = try LlamaWeights.load(from: weights, config: config, backend: backend, dtype: weightDType)
        return try LlamaModel(config: config, weights: loaded, backend: backend, maxBatch: maxBatch, maxSequence: maxSequence,
                              maxStepTokens: maxBatch * maxSequence, logits: logits)
    }

    /// A model on disk as it is (GGUF file, HF directory, load artifact), with an optional PEFT adapter directory.
    /// - Throws: `RunnerError` for a missing or malformed model or adapter, or an adapter that does not fit the model.
    public static func open(model: URL, adapter: URL? = nil) throws -> InferenceModel {
        let bundle = try ModelBundle.open(model)
        let base = BaseWeights(source: try bundle.weightSource(), config: bundle.config, transform: nil, quantization: nil)
        return try make(bundle: bundle, base: base, adapter: adapter.map(PeftAdapter.open))
    }

    /// The model behind a pipeline artifact of any model kind.
    /// - Throws: `RunnerError` naming `stageName` when the artifact is not a model, or the adapter does not fit its base.
    public static func open(_ artifact: InputArtifact, stageName: String) throws -> InferenceModel {
        if FileManager.default.fileExists(atPath: artifact.file("config.json").path) {
            return try open(model: artifact.directory)
        }
        var adapter: PeftAdapter?
        var lineageRoot = artifact
        if FileManager.default.fileExists(atPath: artifact.file(PeftAdapter.weightsFileName).path) {
            adapter = try PeftAdapter.open(artifact.directory)
            lineageRoot = try trainedModelInput(of: artifact, stageName: stageName)
        }
        let lineage = try ModelLineage(lineageRoot, for: stageName)
        return try make(bundle: try ModelBundle.open(lineage.base.directory), base: try baseWeights(lineage), adapter: adapter)
    }

    /// The `model` input a `train` artifact (directly, or behind `save`) was trained from.
    static func trainedModelInput(of artifact: InputArtifact, stageName: String) throws -> InputArtifact {
        switch artifact.manifest.kind {
        case TrainStage.kind: return try artifact.upstream("model")
        case SaveStage.kind: return try artifact.upstream("from").upstream("model")
        default:
            throw RunnerError("stage `\(stageName)`", "cannot find the base model behind the `\(artifact.manifest.kind)` stage `\(artifact.stageName)`",
                              hint: "give a `train` or `save` stage, or a model")
        }
    }

    /// The dense weights a lineage's adapters were trained against: the `load` artifact's, or with a
    /// `quantize` stage upstream its bitsandbytes checkpoint dequantized (rounded to bf16 when the
    /// stage's `compute_dtype` is bf16, exactly as `train` saw them).
    static func baseWeights(_ lineage: ModelLineage) throws -> BaseWeights {
        guard let quantized = lineage.quantized, let settings = lineage.quantize else {
            let bundle = try ModelBundle.open(lineage.base.directory)
            return BaseWeights(source: try bundle.weightSource(), config: bundle.config, transform: nil, quantization: nil)
        }
        var source = try BitsAndBytesWeights(at: quantized.directory)
        if settings.computeDType == "bf16" { source = source.roundingQuantizedToBF16() }
        return BaseWeights(source: source, config: try LlamaConfig.load(contentsOf: quantized.directory), transform: nil,
                           quantization: settings.method)
    }

    /// A base as adapters are applied to it: its weights and config, and how quantization changes them.
    struct BaseWeights {
        var source: any WeightSource
        var config: LlamaConfig
        var transform: BaseWeightTransform?
        /// The quantization method, for logs (nil: dense).
        var quantization: String?
    }

    private static func make(bundle: ModelBundle, base: BaseWeights, adapter: PeftAdapter?) throws -> InferenceModel {
        let weights = try AdaptedWeights(base: base.source, baseConfig: base.config, adapter: adapter,
                                         baseDescription: "the base model `\(bundle.location.lastPathComponent)`", transform: base.transform)
        var parts = ["\(base.config.architecture.rawValue) \(base.config.layerCount) layers"]
        if let quantization = base.quantization { parts.append("dequantized \(quantization) base") }
        if let adapter {
            let ranks = Set(adapter.deltas.map(\.rank)).sorted().map(String.init).joined(separator: "/")
            parts.append("adapter r=\(ranks) on \(adapter.deltas.count) modules"
                         + (adapter.savedLMHead != nil ? " + lm_head" : "") + (adapter.savedEmbedding != nil ? " + embed_tokens" : ""))
        }
        return InferenceModel(bundle: bundle, config: weights.config, weights: weights, summary: parts.joined(separator: ", "))
    }
}
