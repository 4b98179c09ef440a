// Backward passes for training: each op mirrors a forward op of `Backend`, reads what that forward
// saved (rstd, logSumExp) and writes or accumulates gradients. The loss is fused with the LM head
// and computed over row chunks, so the (N × V) logits never exist whole.

/// A backend that can also train: the backward of every forward op, the fused chunked loss, dropout.
///
/// Gradient conventions (llm.c style):
/// - `d`-prefixed tensors are gradients of the same shape as what they differentiate.
/// - Parameter gradients (`dWeight`, `dTable`, `dBias`) are always *accumulated* (`+=`), so micro-batches
///   add up until the optimizer zeroes them.
/// - Activation gradients are written (`=`) unless the op says it accumulates; `rmsnormBackward`
///   accumulates into `dx` because its `x` is the residual stream, whose gradient already holds the skip path.
/// - Matmul backward needs no op of its own: `dx = dy·W` and `dW += dyᵀ·x` are `matmul` calls.
public protocol TrainingBackend: Backend {
    /// `t = 0` for every element (f32 or i32, contiguous).
    func zero(_ t: Tensor)

    /// RMSNorm backward. With `y = x·rstd·w` (per row): `dx += rstd·(w·dy − x·rstd²·mean(w·dy·x))`
    /// and, when given, `dWeight += Σ_rows dy·x·rstd`.
    /// dy, x, dx: (N, C); weight, dWeight: (C); rstd: (N) from `rmsnormForward`.
    func rmsnormBackward(dx: Tensor, dWeight: Tensor?, dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor)

    /// RoPE backward: the inverse rotation of `dy` (rotation matrices are orthogonal).
    /// dy, dx: (B, T, NH, HD), dx may alias dy; cos, sin, positions as in `ropeForward`.
    func ropeBackward(_ dx: Tensor, _ dy: Tensor, cos: Tensor, sin: Tensor, positions: Tensor)

    /// Causal GQA attention backward for a pass without a KV cache (keys = this step's T tokens).
    /// q, out, dOut, dq: (B, T, NH, HD); k, v, dk, dv: (B, T, KVH, HD); logSumExp: (B, NH, T) saved by
    /// `attentionForward`; segmentIds (B, T) i32 as in forward. Writes dq, dk, dv; dk/dv sum over the
    /// NH/KVH query heads that share each KV head.
    func attentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dOut: Tensor, q: Tensor, k: Tensor, v: Tensor,
                           out: Tensor, logSumExp: Tensor, segmentIds: Tensor?, scale: Float)

    /// SwiGLU backward for `out = silu(gate)·up`: `dUp = dOut·silu(gate)`,
    /// `dGate = dOut·up·σ(gate)·(1 + gate·(1 − σ(gate)))`. All (N, H); dGate may alias dOut or gate,
    /// dUp may alias up (each element is read before it is written).
    func swigluBackward(dGate: Tensor, dUp: Tensor, dOut: Tensor, gate: Tensor, up: Tensor)

    /// Embedding backward (scatter-add): `dTable[tokens[n], :] += dOut[n, :]`.
    /// dTable: (V, C) f32; tokens: (N) i32; dOut: (N, C).
    func embeddingBackward(dTable: Tensor, dOut: Tensor, tokens: Tensor)

    /// Bias backward: `dBias += Σ_rows dOut`. dOut: (N, OC); dBias: (OC).
    func biasBackward(dBias: Tensor, dOut: Tensor)

    /// Cross-entropy of the LM head's logits, fused with the head matmul and computed `chunkRows` rows
    /// at a time: `logits = hidden·Wᵀ` (chunk × V) → log-softmax → loss over rows whose label is not
    /// `ignoreIndex` (-100) → `dlogits = gradScale·(softmax − onehot)` → `dHidden = dlogits·W`
    /// (written; rows with ignored labels get zeros) and, when given, `dWeight += dlogitsᵀ·hidden`.
    ///
    /// hidden, dHidden: (N, C) f32; weight, dWeight: (V, C) (weight f32/bf16/f16, dWeight f32);
    /// labels: (N) i32 in 0..<V or -100. With dHidden and dWeight nil it is a forward-only loss.
    /// - Returns: the *sum* of per-token losses (natural log) over non-ignored rows, and their count.
    ///   The caller normalizes: `gradScale = 1 / tokens` gives transformers' mean loss.
    func crossEntropyLoss(hidden: Tensor, weight: Tensor, labels: Tensor, dHidden: Tensor?, dWeight: Tensor?,
                          gradScale: Float, chunkRows: Int) -> (lossSum: Double, tokens: Int)

    /// Inverted dropout: `out = x·mask/(1−p)` where `mask[i] = 0` with probability p, drawn from a
    /// counter-based generator keyed by (`seed`, i): the same seed gives the same mask, so calling it
    /// on dOut with the forward's seed is the backward. out may alias x. p in [0, 1).
    func dropout(_ out: Tensor, _ x: Tensor, probability: Float, seed: UInt64)
}

/// The label that marks a position as excluded from the loss (PyTorch's `ignore_index`).
public let ignoreLabel: Int32 = -100

extension TrainingBackend {
    /// Linear backward through the frozen-or-trainable weight:
    /// `dx (=|+=) dy·W`, and when given `dWeight += dyᵀ·x`, `dBias += Σ_rows dy`.
    /// dy: (N, OC); x, dx: (N, IC); weight, dWeight: (OC, IC); dBias: (OC).
    public func linearBackward(dx: Tensor?, accumulate: Bool, dWeight: Tensor?, dBias: Tensor?,
                               dy: Tensor, x: Tensor, weight: Tensor) {
        if let dx { matmul(dx, dy, weight, transposeA: false, transposeB: false, alpha: 1, beta: accumulate ? 1 : 0) }
        if let dWeight { matmul(dWeight, dy, x, transposeA: true, transposeB: false, alpha: 1, beta: 1) }
        if let dBias { biasBackward(dBias: dBias, dOut: dy) }
    }
}
