// The architecture metadata of an exported GGUF (`general.*`, `<arch>.*`), keyed and typed as
// llama.cpp's convert_hf_to_gguf writes them for Llama-family models, so llama.cpp, Ollama and
// transformers read the hyperparameters back unchanged.
import Basics
import Formats

enum GGUFModelMetadata {
    /// llama.cpp's architecture name: Mistral checkpoints are `llama` models to it.
    static func architecture(of config: LlamaConfig) -> String {
        config.architecture == .qwen2 ? "qwen2" : "llama"
    }

    /// Whether llama.cpp's converter permutes this architecture's Q/K rows (Llama yes, Qwen2 no: its rope is NeoX-style).
    static func permutesRope(_ config: LlamaConfig) -> Bool { config.architecture != .qwen2 }

    /// A parameter-count label as the converter writes `general.size_label` ("135M", "1.2B").
    static func sizeLabel(parameters: Int) -> String {
        let (scale, suffix): (Double, String) = parameters >= 1_000_000_000 ? (1e9, "B") : parameters >= 1_000_000 ? (1e6, "M") : (1e3, "K")
        let value = Double(parameters) / scale
        let text = value >= 10 ? String(Int(value.rounded())) : String(format: "%.1f", value)
        return text + suffix
    }

    /// The entries in the converter's order. Throws for what GGUF cannot express yet.
    static func entries(for config: LlamaConfig, name: String, type: GGUFExportType) throws -> [(String, GGUFValue)] {
        let a = architecture(of: config)
        let parameters = config.weightShapes().reduce(0) { $0 + $1.1.count }
        var out: [(String, GGUFValue)] = [
            ("general.type", .string("model")),
            ("general.name", .string(name)),
            ("general.size_label", .string(sizeLabel(parameters: parameters))),
            ("\(a).block_count", .uint32(UInt32(config.layerCount))),
            ("\(a).context_length", .uint32(UInt32(config.maxPositionEmbeddings))),
            ("\(a).embedding_length", .uint32(UInt32(config.hiddenSize))),
            ("\(a).feed_forward_length", .uint32(UInt32(config.intermediateSize))),
            ("\(a).attention.head_count", .uint32(UInt32(config.headCount))),
            ("\(a).attention.head_count_kv", .uint32(UInt32(config.kvHeadCount))),
            ("\(a).rope.freq_base", .float32(config.rope.theta)),
            ("\(a).attention.layer_norm_rms_epsilon", .float32(config.rmsNormEps)),
        ]
        if config.headDim * config.headCount != config.hiddenSize {
            out += [("\(a).attention.key_length", .uint32(UInt32(config.headDim))),
                    ("\(a).attention.value_length", .uint32(UInt32(config.headDim)))]
        }
        out += [("general.file_type", .uint32(type.fileType)),
                ("\(a).vocab_size", .uint32(UInt32(config.vocabSize))),
                ("\(a).rope.dimension_count", .uint32(UInt32(config.headDim)))]
        switch config.rope.scaling {
        case nil: break
        case .linear(let factor):
            out += [("\(a).rope.scaling.type", .string("linear")), ("\(a).rope.scaling.factor", .float32(factor))]
        case .llama3:
            throw RunnerError("export", "llama3 rope scaling is stored by llama.cpp as a `rope_freqs.weight` tensor, which runner does not write yet",
                              hint: "export a model without rope_scaling, or convert the checkpoint with llama.cpp's convert_hf_to_gguf.py")
        }
        return out
    }
}
