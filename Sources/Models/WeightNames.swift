// Where each weight of a Llama-family model lives in a checkpoint: Hugging Face names
// (`model.layers.3.self_attn.q_proj.weight`) or GGUF names (`blk.3.attn_q.weight`).
import Compute

/// The naming scheme of a checkpoint's tensors.
public enum WeightNaming: Sendable {
    case huggingFace, gguf
}

/// One weight of a transformer block.
public enum LayerWeight: CaseIterable, Sendable {
    case attentionNorm, query, key, value, output, queryBias, keyBias, valueBias, outputBias
    case mlpNorm, gate, up, down, gateBias, upBias, downBias
}

/// Any weight of the model.
public enum WeightKey: Hashable, Sendable {
    case embedding, finalNorm, lmHead
    case layer(Int, LayerWeight)
}

extension WeightNaming {
    /// The tensor name of `key` in this scheme.
    public func name(_ key: WeightKey) -> String {
        switch (self, key) {
        case (.huggingFace, .embedding): "model.embed_tokens.weight"
        case (.huggingFace, .finalNorm): "model.norm.weight"
        case (.huggingFace, .lmHead): "lm_head.weight"
        case (.huggingFace, .layer(let i, let w)): "model.layers.\(i).\(huggingFaceSuffix(w))"
        case (.gguf, .embedding): "token_embd.weight"
        case (.gguf, .finalNorm): "output_norm.weight"
        case (.gguf, .lmHead): "output.weight"
        case (.gguf, .layer(let i, let w)): "blk.\(i).\(ggufSuffix(w))"
        }
    }

    private func huggingFaceSuffix(_ w: LayerWeight) -> String {
        switch w {
        case .attentionNorm: "input_layernorm.weight"
        case .query: "self_attn.q_proj.weight"
        case .key: "self_attn.k_proj.weight"
        case .value: "self_attn.v_proj.weight"
        case .output: "self_attn.o_proj.weight"
        case .queryBias: "self_attn.q_proj.bias"
        case .keyBias: "self_attn.k_proj.bias"
        case .valueBias: "self_attn.v_proj.bias"
        case .outputBias: "self_attn.o_proj.bias"
        case .mlpNorm: "post_attention_layernorm.weight"
        case .gate: "mlp.gate_proj.weight"
        case .up: "mlp.up_proj.weight"
        case .down: "mlp.down_proj.weight"
        case .gateBias: "mlp.gate_proj.bias"
        case .upBias: "mlp.up_proj.bias"
        case .downBias: "mlp.down_proj.bias"
        }
    }

    private func ggufSuffix(_ w: LayerWeight) -> String {
        switch w {
        case .attentionNorm: "attn_norm.weight"
        case .query: "attn_q.weight"
        case .key: "attn_k.weight"
        case .value: "attn_v.weight"
        case .output: "attn_output.weight"
        case .queryBias: "attn_q.bias"
        case .keyBias: "attn_k.bias"
        case .valueBias: "attn_v.bias"
        case .outputBias: "attn_output.bias"
        case .mlpNorm: "ffn_norm.weight"
        case .gate: "ffn_gate.weight"
        case .up: "ffn_up.weight"
        case .down: "ffn_down.weight"
        case .gateBias: "ffn_gate.bias"
        case .upBias: "ffn_up.bias"
        case .downBias: "ffn_down.bias"
        }
    }
}

extension LlamaConfig {
    /// The expected PyTorch shape of every weight the model needs, in load order.
    public func weightShapes() -> [(WeightKey, Shape)] {
        let (c, h, qDim, kvDim) = (hiddenSize, intermediateSize, headCount * headDim, kvHeadCount * headDim)
        var shapes: [(WeightKey, Shape)] = [(.embedding, [vocabSize, c])]
        for i in 0..<layerCount {
            shapes += [(.layer(i, .attentionNorm), [c]), (.layer(i, .query), [qDim, c]), (.layer(i, .key), [kvDim, c]),
                       (.layer(i, .value), [kvDim, c]), (.layer(i, .output), [c, qDim])]
            if qkvBias { shapes += [(.layer(i, .queryBias), [qDim]), (.layer(i, .keyBias), [kvDim]), (.layer(i, .valueBias), [kvDim])] }
            if outputBias { shapes.append((.layer(i, .outputBias), [c])) }
            shapes += [(.layer(i, .mlpNorm), [c]), (.layer(i, .gate), [h, c]), (.layer(i, .up), [h, c]), (.layer(i, .down), [c, h])]
            if mlpBias { shapes += [(.layer(i, .gateBias), [h]), (.layer(i, .upBias), [h]), (.layer(i, .downBias), [c])] }
        }
        shapes.append((.finalNorm, [c]))
        if !tieWordEmbeddings { shapes.append((.lmHead, [vocabSize, c])) }
        return shapes
    }
}
