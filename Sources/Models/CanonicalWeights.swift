// Reading a checkpoint's weights in canonical form (Hugging Face names and row order, shape-checked
// against the config) and writing them back out as a Hugging Face safetensors checkpoint. The load
// stage uses this to turn any supported source (GGUF, safetensors) into one normalized artifact.
import Basics
import Compute
import Foundation
import Formats

public enum CanonicalWeights {
    /// The host tensor for `key` in PyTorch layout and HF row order: GGUF's rope permutation of
    /// q/k rows (Llama architecture only) is undone.
    ///
    /// - Throws: `RunnerError` naming the tensor when it is missing, mis-shaped or of an unsupported dtype.
    public static func hostTensor(_ key: WeightKey, shape: Shape, from source: some WeightSource,
                                  config: LlamaConfig) throws -> Tensor {
        let name = source.naming.name(key)
        guard source.contains(name) else {
            throw RunnerError(source.sourceDescription, "missing tensor `\(name)` (expected shape \(shape))",
                              hint: key == .lmHead ? "set tie_word_embeddings if the model shares its embedding matrix" : nil)
        }
        var host = try source.tensor(name)
        guard host.shape == shape else {
            throw RunnerError(source.sourceDescription, "tensor `\(name)` has shape \(host.shape), but the config implies \(shape)",
                              hint: "check hidden_size, intermediate_size, num_attention_heads, num_key_value_heads and head_dim")
        }
        guard [DType.f32, .bf16, .f16].contains(host.dtype) else {
            throw RunnerError(source.sourceDescription, "tensor `\(name)` has dtype \(host.dtype.rawValue); expected f32, bf16 or f16")
        }
        // llama.cpp permutes Q/K rows for Llama-architecture GGUFs (not for Qwen2, whose rope is NeoX-style).
        if source.naming == .gguf, config.architecture != .qwen2, case .layer(_, let weight) = key {
            switch weight {
            case .query, .queryBias: host = GGUFRopePermutation.unpermute(host, heads: config.headCount)
            case .key, .keyBias: host = GGUFRopePermutation.unpermute(host, heads: config.kvHeadCount)
            default: break
            }
        }
        return host
    }

    /// Writes every weight of `config` from `source` as a HF safetensors checkpoint in `directory`
    /// (`model.safetensors`, or shards plus `model.safetensors.index.json` past `maxShardBytes`).
    /// Matrices are stored in `dtype` (f32, bf16 or f16, rounded to nearest even); norms and biases
    /// stay f32 so no precision is lost where it matters and where transformers keeps them in f32.
    ///
    /// Memory: holds the converted tensors until written (one model's worth in `dtype`).
    @discardableResult
    public static func writeHuggingFaceCheckpoint(from source: some WeightSource, config: LlamaConfig, dtype: DType,
                                                  to directory: URL,
                                                  maxShardBytes: Int = SafetensorsCheckpointWriter.defaultMaxShardBytes) throws -> [URL] {
        guard [DType.f32, .bf16, .f16].contains(dtype) else {
            throw RunnerError("dtype", "`\(dtype.rawValue)` is not a checkpoint dtype", hint: "use f32, bf16 or f16")
        }
        var tensors: [SafetensorsTensor] = []
        for (key, shape) in config.weightShapes() {
            let host = try hostTensor(key, shape: shape, from: source, config: config)
            let target = shape.rank == 2 ? dtype : .f32
            tensors.append(SafetensorsTensor(name: WeightNaming.huggingFace.name(key), shape: shape.dims,
                                             floats: host.hostFloats(), as: SafetensorsDType(target)))
        }
        return try SafetensorsCheckpointWriter.write(tensors, to: directory, maxShardBytes: maxShardBytes,
                                                     metadata: ["format": "pt"])
    }
}
