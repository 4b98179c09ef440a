// Matrix multiply on the CPU: OpenBLAS sgemm (sgemv for single rows), f32 accumulation.
// bf16/f16 right-hand sides are widened to f32 in worker scratch before the call.
import CBLAS
import Compute

extension CPUBackend {
    public func matmul(_ out: Tensor, _ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) {
        precondition(out.shape.rank == 2 && a.shape.rank == 2 && b.shape.rank == 2, "matmul wants 2-D tensors: \(out) = \(a) · \(b)")
        precondition(a.isContiguous && b.isContiguous && out.isContiguous, "matmul wants contiguous tensors")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        precondition(k == kb && out.shape[0] == m && out.shape[1] == n,
                     "matmul shapes do not fit: out \(out.shape), a \(a.shape)\(transposeA ? "ᵀ" : ""), b \(b.shape)\(transposeB ? "ᵀ" : "")")
        guard m > 0, n > 0 else { return }
        let bf: UnsafePointer<Float>
        switch b.dtype {
        case .f32: bf = UnsafePointer(f32(b))
        case .bf16, .f16:
            let wide = scratchFloats(b.count)
            let src = raw(b)
            let kind: DType16 = b.dtype == .bf16 ? .bf16 : .f16
            Parallel.forEach(b.count / 4096 + 1) { chunks in
                let start = chunks.lowerBound * 4096, end = min(b.count, chunks.upperBound * 4096)
                if start < end { widen(src + start * 2, dtype: kind, wide + start, end - start) }
            }
            bf = UnsafePointer(wide)
        default: preconditionFailure("matmul of \(b.dtype) weights")
        }
        let ap = f32(a), cp = f32(out)
        let lda = Int32(a.shape[1]), ldb = Int32(b.shape[1])
        if m == 1 && !transposeA {
            // One row: y = op(B)ᵀ·x as a matrix-vector product (GEMV is bandwidth-bound; sgemm adds overhead).
            // Row-major B (K, N) times x means Bᵀ-trans in BLAS terms, and vice versa.
            cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, Int32(b.shape[0]), Int32(b.shape[1]),
                        alpha, bf, ldb, ap, 1, beta, cp, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, ap, lda, bf, ldb, beta, cp, Int32(n))
    }
}
