// The backend seam for the optimizer step: coarse update kernels (AdamW, 8-bit AdamW, SGD) and the
// small reductions gradient clipping and accumulation need, on tensors the backend allocated.
// The CPU backend defines the semantics (matching torch / bitsandbytes); a GPU backend implements the same.

/// Which reference AdamW's arithmetic follows. Both are decoupled-weight-decay Adam with bias
/// correction; they differ in how they round, so each is reproduced exactly.
public enum AdamWRule: String, Sendable, Hashable, Codable {
    /// `torch.optim.AdamW` (`_single_tensor_adam`, decoupled): `p *= 1 − lr·wd`;
    /// `m = lerp(m, g, 1 − β1)`; `v = β2·v + (1 − β2)·g²`;
    /// `p += −(lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)`.
    case torch
    /// bitsandbytes' 32-bit Adam kernel (what `AdamW8bit` uses for tensors under `min_8bit_size`):
    /// `m = β1·m + (1 − β1)·g`; `v = β2·v + (1 − β2)·g²`; `p *= 1 − lr·wd` (only when wd > 0);
    /// `p += (−lr·√(1 − β2ᵗ) / (1 − β1ᵗ)) · m / (√v + ε·√(1 − β2ᵗ))`.
    case bitsandbytes
}

/// An optimizer moment stored blockwise in 8 bits (bitsandbytes' dynamic quantization): element i
/// is `map[codes[i]] · absmax[i / blockSize]`.
public struct BlockwiseQuantizedState {
    /// (N) u8: index into `map` per element.
    public let codes: Tensor
    /// (⌈N / blockSize⌉) f32: each block's largest magnitude.
    public let absmax: Tensor
    /// (256) f32, ascending values in [−1, 1]: the code table (bitsandbytes' `qmap`).
    public let map: Tensor
    /// Elements per absmax block (bitsandbytes' 8-bit optimizers use 256).
    public let blockSize: Int

    public init(codes: Tensor, absmax: Tensor, map: Tensor, blockSize: Int) {
        precondition(codes.dtype == .u8 && absmax.dtype == .f32 && map.dtype == .f32 && map.count == 256,
                     "quantized state needs u8 codes, f32 absmax and a 256-entry f32 map")
        precondition(blockSize > 0 && absmax.count == (codes.count + blockSize - 1) / blockSize,
                     "\(absmax.count) absmax values for \(codes.count) codes in blocks of \(blockSize)")
        self.codes = codes
        self.absmax = absmax
        self.map = map
        self.blockSize = blockSize
    }
}

/// Optimizer kernels. Every tensor is contiguous and lives on this backend; parameters, gradients
/// and 32-bit states are f32 of equal element count. Hyperparameters arrive as `Double` (as Python
/// passes them) and each kernel rounds them to f32 where its reference does, so results match the
/// reference to the bit except where noted.
///
/// Kernels allocate nothing in proportion to the tensors (scratch is reused), read gradients without
/// changing them (except `scale`/`zero`), and are deterministic: results do not depend on the
/// number of threads.
public protocol OptimizerBackend: Backend {
    /// A zero-filled tensor for optimizer state. `paged` asks for memory the device may evict to the
    /// host under pressure (CUDA unified memory, as bitsandbytes' paged optimizers); backends whose
    /// memory is already host memory (the CPU) allocate ordinary memory.
    func allocateState(_ shape: Shape, dtype: DType, paged: Bool) -> Tensor

    /// The raw little-endian bytes of a contiguous tensor (any dtype), waiting for pending work.
    func readBytes(_ tensor: Tensor) -> [UInt8]

    /// Overwrites a contiguous tensor with raw little-endian bytes (`bytes.count == tensor.byteCount`).
    func writeBytes(_ bytes: [UInt8], to tensor: Tensor)

    /// One AdamW step on one tensor, in place on `param`, `m` (first moment) and `v` (second moment).
    /// `step` is the 1-based count of updates including this one (for the bias corrections).
    func adamwStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Int,
                   lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, rule: AdamWRule)

    /// One 8-bit AdamW step as bitsandbytes' CPU `optimizer_update_8bit_blockwise` ("adam"): per
    /// block, dequantize both moments, update them as `AdamWRule.bitsandbytes` does, update `param`
    /// with `p *= 1 − lr·wd` (wd > 0) and `p += −lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)`, then
    /// requantize the moments with fresh absmax. `m` uses the signed dynamic map, `v` the unsigned.
    /// Quantizing picks, for x/absmax, the code bitsandbytes' CPU quantizer picks (65536 bins over
    /// [−1, 1], each bin → the code nearest its centre, ties to the lower code; NaN → code 0).
    func adamw8bitStep(param: Tensor, grad: Tensor, m: BlockwiseQuantizedState, v: BlockwiseQuantizedState,
                       step: Int, lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double)

    /// One SGD step as `torch.optim.SGD`: `g' = g + wd·p`; with momentum, `buf = g'` on the first step
    /// (`initializeMomentum`), else `buf = momentum·buf + (1 − dampening)·g'`, and the direction is
    /// `g' + momentum·buf` (Nesterov) or `buf`; then `p −= lr · direction`.
    /// `momentumBuffer` must be given when `momentum ≠ 0` and is ignored otherwise.
    func sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor?, initializeMomentum: Bool,
                 lr: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double)

    /// Σ x² over an f32 tensor, accumulated in f64 in a fixed order (thread-count independent).
    func squaredL2Norm(_ tensor: Tensor) -> Double

    /// `tensor *= factor` (f32) — gradient clipping and accumulation averaging.
    func scale(_ tensor: Tensor, by factor: Float)

    /// Sets every byte of `tensor` to zero (gradients between optimizer steps).
    func zero(_ tensor: Tensor)
}
