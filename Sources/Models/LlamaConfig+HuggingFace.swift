// Writes a LlamaConfig as a Hugging Face `config.json` (transformers 4/5 read it; LlamaConfig.parse
// reads it back to an equal config). Used by the load stage's normalized model artifact.
import Compute
import Foundation

extension LlamaConfig {
    /// The HF `config.json` for this config, pretty-printed with sorted keys (stable bytes, so
    /// artifacts built twice are identical). `dtype` is recorded as `torch_dtype`.
    public func huggingFaceConfigJSON(dtype: DType) throws -> Data {
        var object: [String: Any] = [
            "architectures": [architecture == .qwen2 ? "Qwen2ForCausalLM" : architecture == .mistral ? "MistralForCausalLM" : "LlamaForCausalLM"],
            "model_type": architecture.rawValue,
            "vocab_size": vocabSize,
            "hidden_size": hiddenSize,
            "intermediate_size": intermediateSize,
            "num_hidden_layers": layerCount,
            "num_attention_heads": headCount,
            "num_key_value_heads": kvHeadCount,
            "head_dim": headDim,
            "hidden_act": "silu",
            "rms_norm_eps": Self.shortestDouble(rmsNormEps),
            "rope_theta": Self.shortestDouble(rope.theta),
            "max_position_embeddings": maxPositionEmbeddings,
            "tie_word_embeddings": tieWordEmbeddings,
            "mlp_bias": mlpBias,
            "torch_dtype": Self.torchDTypeName(dtype),
        ]
        if architecture != .qwen2 { object["attention_bias"] = qkvBias }
        if let slidingWindow {
            object["sliding_window"] = slidingWindow
            if architecture == .qwen2 { object["use_sliding_window"] = true }
        }
        if let bosTokenId { object["bos_token_id"] = Int(bosTokenId) }
        switch eosTokenIds.count {
        case 0: break
        case 1: object["eos_token_id"] = Int(eosTokenIds[0])
        default: object["eos_token_id"] = eosTokenIds.map { Int($0) }
        }
        switch rope.scaling {
        case nil: break
        case .linear(let factor)?:
            object["rope_scaling"] = ["rope_type": "linear", "factor": Self.shortestDouble(factor)]
        case .llama3(let factor, let low, let high, let original)?:
            object["rope_scaling"] = [
                "rope_type": "llama3", "factor": Self.shortestDouble(factor), "low_freq_factor": Self.shortestDouble(low),
                "high_freq_factor": Self.shortestDouble(high), "original_max_position_embeddings": original,
            ]
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// The Double whose shortest spelling equals the Float's (1e-05, not 9.999999747378752e-06).
    static func shortestDouble(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    static func torchDTypeName(_ dtype: DType) -> String {
        switch dtype {
        case .bf16: "bfloat16"
        case .f16: "float16"
        default: "float32"
        }
    }
}
