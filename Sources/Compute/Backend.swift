// The Backend protocol: coarse, llm.c-style operations on tensors that the backend allocated.
// Model code talks to `any Backend` only; the CPU backend defines the semantics every other
// backend is tested against. Activations are f32; weights may be stored f32, bf16 or f16.

/// A compute device: owns its memory and runs coarse ops on it.
///
/// Conventions shared by every op:
/// - Outputs come first and are written, never allocated: all buffers are planned before a step.
/// - Tensors passed to ops are contiguous unless an op says otherwise; activations are `.f32`,
///   integer inputs (tokens, positions, segment ids) are `.i32`.
/// - Accumulation is f32. Ops may run asynchronously; `readFloats`/`synchronize` wait for them.
/// - `out` may alias an input only where the op says so.
///
/// Backward passes (training) live in `TrainingBackend: Backend` (TrainingBackend.swift), each
/// mirroring its forward: matmul backward is `matmul` with transposes, `rmsnormBackward`,
/// `ropeBackward`, `attentionBackward` (uses the `logSumExp` saved by `attentionForward`),
/// `swigluBackward`, `embeddingBackward`, `biasBackward`, `crossEntropyLoss` (forward and backward
/// fused with the LM head, in row chunks), `dropout`. Optimizer steps are separate ops.
public protocol Backend: AnyObject {
    /// Short name for logs and benchmark output (`cpu`, `cuda:0`).
    var name: String { get }

    // MARK: Memory

    /// A new zero-filled tensor in this backend's memory.
    func allocate(_ shape: Shape, dtype: DType) -> Tensor

    /// Makes a host tensor usable by this backend, optionally converting its element type
    /// (e.g. bf16 weights → f32). May alias the host memory when no conversion is needed (CPU).
    func upload(_ host: Tensor, as dtype: DType?) -> Tensor

    /// Copies `values` into `tensor` (f32 or i32 by the tensor's dtype; counts must match).
    func write(_ values: [Float], to tensor: Tensor)
    func write(_ values: [Int32], to tensor: Tensor)

    /// Reads a tensor back to the host as f32 (converting bf16/f16/i32), waiting for pending work.
    func readFloats(_ tensor: Tensor) -> [Float]

    /// `dst = src`, element by element, for views of equal shape (either may be strided),
    /// converting between float dtypes.
    func copy(_ dst: Tensor, from src: Tensor)

    /// Waits until all queued work is done.
    func synchronize()

    // MARK: Forward ops

    /// `out = alpha · op(a) · op(b) + beta · out`, with `op(x) = xᵀ` when its flag is set.
    /// a: (M, K) or (K, M) f32; b: (K, N) or (N, K) in f32, bf16 or f16; out: (M, N) f32.
    /// With `transposeB` and b = a Linear weight (OC, IC) this is `x · Wᵀ`.
    func matmul(_ out: Tensor, _ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float)

    /// `out[n, :] += bias` for every row n. out: (N, OC); bias: (OC).
    func addBias(_ out: Tensor, _ bias: Tensor)

    /// Root-mean-square norm over the last axis: `out = x / sqrt(mean(x²) + eps) · weight`.
    /// x, out: (N, C); weight: (C). When given, `rstd` (N) receives `1/sqrt(mean(x²)+eps)` for backward.
    func rmsnormForward(_ out: Tensor, rstd: Tensor?, _ x: Tensor, weight: Tensor, eps: Float)

    /// Rotary position embedding, HF `rotate_half` convention, on each head:
    /// `out[i] = x[i]·cos[p,i] − x[i+HD/2]·sin[p,i]`, `out[i+HD/2] = x[i+HD/2]·cos[p,i] + x[i]·sin[p,i]`
    /// for i < HD/2 and p = positions[b, t]. x, out: (B, T, NH, HD) (out may alias x);
    /// cos, sin: (P, HD/2) precomputed tables; positions: (B, T) i32, each in 0..<P.
    func ropeForward(_ out: Tensor, _ x: Tensor, cos: Tensor, sin: Tensor, positions: Tensor)

    /// Causal scaled-dot-product attention with grouped KV heads (NH a multiple of KVH).
    /// q, out: (B, T, NH, HD); k, v: (B, S, KVH, HD) where S ≥ `pastLength + T` (a KV cache or
    /// just this step's keys with pastLength 0). Query t sits at key index `pastLength + t` and sees
    /// keys j ≤ pastLength + t — and, when `segmentIds` (B, S) i32 is given, only keys of its own
    /// segment, so packed sequences never attend across example boundaries.
    /// When given, `logSumExp` (B, NH, T) receives each softmax row's log-sum-exp for backward.
    func attentionForward(_ out: Tensor, logSumExp: Tensor?, q: Tensor, k: Tensor, v: Tensor,
                          pastLength: Int, segmentIds: Tensor?, scale: Float)

    /// SwiGLU: `out = silu(gate) · up` with `silu(x) = x / (1 + e^(−x))`. All (N, H); out may alias gate.
    func swigluForward(_ out: Tensor, gate: Tensor, up: Tensor)

    /// Row lookup: `out[n, :] = table[tokens[n], :]`. table: (V, C) f32/bf16/f16; tokens: (N) i32 in 0..<V; out: (N, C).
    func embeddingForward(_ out: Tensor, table: Tensor, tokens: Tensor)

    /// Softmax over the last axis, max-subtracted. x, out: (N, V); out may alias x.
    func softmaxForward(_ out: Tensor, _ x: Tensor)

    /// `out = a + b` elementwise (residual connections); out may alias a or b.
    func add(_ out: Tensor, _ a: Tensor, _ b: Tensor)
}

extension Backend {
    public func upload(_ host: Tensor) -> Tensor { upload(host, as: nil) }

    /// A Linear layer: `out = x · Wᵀ (+ bias)`. x: (N, IC); weight: (OC, IC); bias: (OC); out: (N, OC).
    public func linearForward(_ out: Tensor, _ x: Tensor, weight: Tensor, bias: Tensor?) {
        matmul(out, x, weight, transposeA: false, transposeB: true, alpha: 1, beta: 0)
        if let bias { addBias(out, bias) }
    }
}
