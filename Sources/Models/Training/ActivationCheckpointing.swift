// Which activations a training step keeps from each layer's forward pass for its backward pass, and
// which backward recomputes. The three policies give bit-identical losses and gradients; they trade
// memory for time only.

/// The activation-checkpointing policy of `TrainableModel` (per transformer block).
///
/// Every policy keeps each layer's input residual (C values per token). Beyond that, per token
/// and layer, in f32 (C hidden, H MLP width, NH/KVH heads × HD head dim, r LoRA rank):
///
/// | policy | kept for every layer | recomputed in backward | kept bytes per token per layer |
/// |---|---|---|---|
/// | `off` | norms' outputs xn1, xn2 and rstd, q, k, v (after rope), attention output and log-sum-exp, h, gate, up, act, the 7 LoRA `u` | nothing | 4·(4C + 2 + 2·NH·HD + 2·KVH·HD + NH + 3H + 7r) |
/// | `selective` | q, k, v, attention output and log-sum-exp, h (residual after attention), gate, up, the 7 LoRA `u` | xn1 + rstd, xn2 + rstd, act = silu(gate)·up: elementwise, no matmul | 4·(2C + 2·NH·HD + 2·KVH·HD + NH + 2H + 7r) |
/// | `layer` | nothing but the input residual | the whole block forward (7 matmuls + attention) | 4·C |
///
/// `layer` and `selective` add one shared set (all of a layer's activations, or only the
/// recomputed ones: 4·(2C + 2 + H) bytes per token) that backward reuses layer after layer.
/// SmolLM2-135M (C 576, H 1536, 9/3 heads × 64, r 16): 34 284 / 23 524 / 2 304 bytes per token per
/// layer for off / selective / layer, i.e. 1004 / 689 / 67.5 MiB of kept activations for 4 × 256 tokens
/// over 30 layers. `layer` is PEFT's `gradient_checkpointing=True`; `selective` is Megatron-LM's
/// "selective activation recomputation" taken further — only the cheap elementwise tensors are
/// recomputed — so a LoRA step costs forward + backward instead of forward + forward + backward.
public enum ActivationCheckpointing: String, Sendable, CaseIterable {
    /// Keep everything; no recomputation.
    case off
    /// Keep only each layer's input; re-run the whole layer forward in backward (PEFT's `true`).
    case layer
    /// Keep what a matmul or attention produced; recompute the norms and the SwiGLU product.
    case selective

    /// Values (f32) kept per token for each layer, beyond the shared set: the table above over 4.
    public func keptValuesPerTokenPerLayer(_ config: LlamaConfig, loraRank r: Int) -> Int {
        let (c, h) = (config.hiddenSize, config.intermediateSize)
        let qDim = config.headCount * config.headDim, kvDim = config.kvHeadCount * config.headDim
        let matmulOutputs = c + 2 * qDim + 2 * kvDim + config.headCount + 2 * h + 7 * r   // h, q, att, k, v, lse, gate, up, u
        switch self {
        case .off: return c + matmulOutputs + Self.recomputableValues(config)
        case .selective: return c + matmulOutputs
        case .layer: return c
        }
    }

    /// xn1, xn2, the two rstd and act: what `selective` recomputes (per token).
    static func recomputableValues(_ config: LlamaConfig) -> Int {
        2 * config.hiddenSize + 2 + config.intermediateSize
    }
}

/// The recipe and JSON spelling, as axolotl's `gradient_checkpointing`: `true` (= `layer`,
/// PEFT's meaning), `false` (= `off`), or the string `"selective"`.
extension ActivationCheckpointing: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let on = try? container.decode(Bool.self) {
            self = on ? .layer : .off
            return
        }
        let text = try container.decode(String.self)
        guard text == "selective" else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "gradient_checkpointing is true, false or \"selective\", not \"\(text)\"")
        }
        self = .selective
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .off: try container.encode(false)
        case .layer: try container.encode(true)
        case .selective: try container.encode("selective")
        }
    }
}
