// A base model's weights with an adapter merged in (W + scale·B·A, DoRA-rescaled rows, modules_to_save copies in
// place), as a WeightSource in Hugging Face naming: generation loads it like any checkpoint and the
// merge stage writes it out as one. An optional transform runs on the base first (a quantized base
// is seen as its dequantized weights).
import Basics
import Compute
import Foundation

/// Rewrites one canonical base tensor before the adapter is applied (e.g. a 4-bit round trip).
public typealias BaseWeightTransform = @Sendable (WeightKey, Tensor) throws -> Tensor

public struct AdaptedWeights: WeightSource {
    public let base: any WeightSource
    /// The adapted model's config: the base's, with the head untied when a `modules_to_save` copy
    /// replaces one side of tied embeddings (PEFT trains that copy apart from the other side).
    public let config: LlamaConfig
    public let adapter: PeftAdapter?
    private let baseConfig: LlamaConfig
    private let transform: BaseWeightTransform?
    private let keys: [String: (WeightKey, Shape)]
    private let deltas: [String: LoraDelta]

    public var naming: WeightNaming { .huggingFace }
    public var sourceDescription: String {
        adapter.map { "\(base.sourceDescription) + adapter \($0.directory.path)" } ?? base.sourceDescription
    }

    /// Wraps `base` (with `baseConfig`); validates `adapter` against it.
    /// - Throws: the adapter's mismatch with the base (see `PeftAdapter.validate`).
    public init(base: any WeightSource, baseConfig: LlamaConfig, adapter: PeftAdapter?, baseDescription: String? = nil,
                transform: BaseWeightTransform? = nil) throws {
        try adapter?.validate(against: baseConfig, baseDescription: baseDescription ?? "the base model")
        var config = baseConfig
        if baseConfig.tieWordEmbeddings, adapter?.savedLMHead != nil || adapter?.savedEmbedding != nil {
            config.tieWordEmbeddings = false
        }
        self.base = base
        self.baseConfig = baseConfig
        self.config = config
        self.adapter = adapter
        self.transform = transform
        self.keys = Dictionary(config.weightShapes().map { (WeightNaming.huggingFace.name($0.0), ($0.0, $0.1)) }, uniquingKeysWith: { a, _ in a })
        self.deltas = Dictionary((adapter?.deltas ?? []).map { ($0.module + ".weight", $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func contains(_ name: String) -> Bool { keys[name] != nil }

    /// The merged tensor: f32 where the adapter or transform changed it, else the base's view.
    public func tensor(_ name: String) throws -> Tensor {
        guard let (key, shape) = keys[name] else { throw RunnerError(sourceDescription, "no tensor named `\(name)`") }
        switch key {
        case .lmHead where adapter?.savedLMHead != nil: return adapter!.savedLMHead!
        case .embedding where adapter?.savedEmbedding != nil: return adapter!.savedEmbedding!
        default: break
        }
        // The untied head of a tied base is the base's (original) embedding.
        let baseKey: WeightKey = key == .lmHead && baseConfig.tieWordEmbeddings ? .embedding : key
        var tensor = try CanonicalWeights.hostTensor(baseKey, shape: shape, from: base, config: baseConfig)
        if let transform { tensor = try transform(key, tensor) }
        guard let delta = deltas[name] else { return tensor }
        var values = tensor.hostFloats()
        delta.merge(into: &values)
        return Tensor.host(values, shape: shape)
    }
}
