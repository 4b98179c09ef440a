// The model's parameters on a backend: read from a WeightSource by name, shape-checked
// against the config, GGUF rope permutation undone, converted to the compute dtype.
import Basics
import Compute

/// One transformer block's parameters (shapes as in PyTorch: Linear weights are (out, in)).
public struct LlamaLayerWeights {
    public let attentionNorm: Tensor      // (C)
    public let query: Tensor              // (NH·HD, C)
    public let key: Tensor                // (KVH·HD, C)
    public let value: Tensor              // (KVH·HD, C)
    public let output: Tensor             // (C, NH·HD)
    public let queryBias, keyBias, valueBias, outputBias: Tensor?
    public let mlpNorm: Tensor            // (C)
    public let gate: Tensor               // (H, C)
    public let up: Tensor                 // (H, C)
    public let down: Tensor               // (C, H)
    public let gateBias, upBias, downBias: Tensor?
}

/// All parameters of a Llama-family model, resident on one backend.
public struct LlamaWeights {
    public let embedding: Tensor          // (V, C)
    public let layers: [LlamaLayerWeights]
    public let finalNorm: Tensor          // (C)
    /// (V, C); the embedding table itself when embeddings are tied.
    public let lmHead: Tensor

    /// Loads every weight `config` needs from `source` onto `backend`.
    ///
    /// - Parameter dtype: storage type of the matrices on the backend (f32 default; bf16/f16 halve
    ///   memory, and matmul widens them on the fly). Norm weights and biases are always f32.
    /// - Throws: `RunnerError` naming the tensor when one is missing or has the wrong shape.
    public static func load(from source: some WeightSource, config: LlamaConfig, backend: any Backend,
                            dtype: DType = .f32) throws -> LlamaWeights {
        var loaded: [WeightKey: Tensor] = [:]
        for (key, shape) in config.weightShapes() {
            let host = try CanonicalWeights.hostTensor(key, shape: shape, from: source, config: config)
            loaded[key] = backend.upload(host, as: shape.rank == 2 ? dtype : .f32)
        }
        return LlamaWeights(loaded, layerCount: config.layerCount)
    }
}

extension LlamaWeights {
    /// Assembles the weights from tensors by key (an untied LM head falls back to the embedding).
    /// Every non-optional weight of `layerCount` blocks must be present.
    init(_ loaded: [WeightKey: Tensor], layerCount: Int) {
        func layer(_ i: Int) -> LlamaLayerWeights {
            LlamaLayerWeights(
                attentionNorm: loaded[.layer(i, .attentionNorm)]!, query: loaded[.layer(i, .query)]!,
                key: loaded[.layer(i, .key)]!, value: loaded[.layer(i, .value)]!, output: loaded[.layer(i, .output)]!,
                queryBias: loaded[.layer(i, .queryBias)], keyBias: loaded[.layer(i, .keyBias)],
                valueBias: loaded[.layer(i, .valueBias)], outputBias: loaded[.layer(i, .outputBias)],
                mlpNorm: loaded[.layer(i, .mlpNorm)]!, gate: loaded[.layer(i, .gate)]!, up: loaded[.layer(i, .up)]!,
                down: loaded[.layer(i, .down)]!, gateBias: loaded[.layer(i, .gateBias)], upBias: loaded[.layer(i, .upBias)],
                downBias: loaded[.layer(i, .downBias)])
        }
        self.init(embedding: loaded[.embedding]!, layers: (0..<layerCount).map(layer),
                  finalNorm: loaded[.finalNorm]!, lmHead: loaded[.lmHead] ?? loaded[.embedding]!)
    }
}
