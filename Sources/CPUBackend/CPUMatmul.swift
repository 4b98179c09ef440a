// Matrix multiply on the CPU: OpenBLAS sgemm (sgemv for single rows), f32 accumulation.
// OpenBLAS runs single-threaded; `Parallel` splits each product into one block per core, so the
// backend has one thread pool (OpenBLAS's own idle threads used to spin-yield ≈ 17 % of a step).
// bf16/f16 right-hand sides are widened to f32 in worker scratch before the call — or, when the
// backend computes in bf16, multiplied as bf16 by oneDNN (the left side rounded to bf16 per call).
import CBLAS
import CKernels
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
        gemmFlops += 2 * Double(m) * Double(n) * Double(k)
        profileBegin()
        defer {
            profileEnd("matmul \(b.dtype == .bf16 && oneDNN != nil ? "bf16" : b.dtype == .f32 ? "f32" : "f32←\(b.dtype)") "
                       + "\(m)×\(n)×\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")\(beta != 0 ? " +=" : "")",
                       flops: 2 * Double(m) * Double(n) * Double(k))
        }
        if b.dtype == .bf16, let oneDNN {
            bf16Matmul(oneDNN, out, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
            return
        }
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
            // Split over outputs: rows of a (N, K) B, columns of a (K, N) one.
            let parts = max(1, min(gemmWorkers, n / 64, k * n / 65_536))
            Parallel.forEach(parts, work: 1 << 20, workers: parts) { range in
                for part in range {
                    let start = n * part / parts, end = n * (part + 1) / parts
                    if transposeB {
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(end - start), Int32(k), alpha, bf + start * Int(ldb), ldb,
                                    ap, 1, beta, cp + start, 1)
                    } else {
                        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(end - start), alpha, bf + start, ldb,
                                    ap, 1, beta, cp + start, 1)
                    }
                }
            }
            return
        }
        splitSGEMM(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha,
                   a: ap, lda: Int(lda), b: bf, ldb: Int(ldb), beta: beta, c: cp, ldc: n, workers: gemmWorkers)
    }
}

/// Row-major `C = alpha · op(A) · op(B) + beta · C` on single-threaded OpenBLAS, split into one block
/// per worker: by rows of C (or by columns when C has fewer rows than columns). Blocks are disjoint,
/// and each is the same sgemm over a sub-matrix, so the result equals one unsplit call's up to
/// OpenBLAS's blocking of K (identical here: K is never split).
func splitSGEMM(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float,
                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, workers: Int = Parallel.workers) {
    func sgemm(_ m: Int, _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    let flops = 2 * Double(m) * Double(n) * Double(k)
    let byRows = m >= n
    let extent = byRows ? m : n
    // Whole 16-wide register tiles per block, and at least ~1 MFLOP per block (waking a thread costs more).
    let parts = max(1, min(workers, extent / 16, Int(flops / 1e6)))
    guard parts > 1 else { return sgemm(m, n, a, b, c) }
    Parallel.forEach(parts, work: 1 << 20, workers: parts) { range in
        for part in range {
            let start = (extent * part / parts) / 16 * 16
            let end = part == parts - 1 ? extent : (extent * (part + 1) / parts) / 16 * 16
            guard start < end else { continue }
            if byRows {
                // Rows [start, end) of op(A) and C.
                sgemm(end - start, n, a + (transposeA ? start : start * lda), b, c + start * ldc)
            } else {
                // Columns [start, end) of op(B) and C.
                sgemm(m, end - start, a, b + (transposeB ? start * ldb : start), c + start)
            }
        }
    }
}

extension CPUBackend {
    /// `out = alpha · op(a) · op(b) + beta · out` with a rounded to bf16 (nearest even), b bf16 as
    /// stored, f32 products summed in f32 by oneDNN.
    func bf16Matmul(_ engine: OneDNNMatmul, _ out: Tensor, _ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int,
                    transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) {
        precondition(a.dtype == .f32 && out.dtype == .f32, "bf16 matmul wants f32 activations and output: \(out) = \(a) · \(b)")
        let count = m * k
        let rounded = UnsafeMutableRawPointer(scratchFloats((count + 1) / 2, slot: "matmul.bf16")).assumingMemoryBound(to: UInt16.self)
        let source = f32(a)
        profileBegin()
        Parallel.forEach((count + 8191) / 8192, work: 8192) { blocks in
            let start = blocks.lowerBound * 8192, end = min(count, blocks.upperBound * 8192)
            roundToBF16(source + start, rounded + start, end - start)
        }
        profileEnd("convert f32→bf16 (matmul lhs)")
        do {
            try engine.run(OneDNNMatmul.Problem(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta),
                           a: rounded, b: raw(b), c: f32(out))
        } catch {
            preconditionFailure("bf16 matmul \(out.shape) = \(a.shape) · \(b.shape): \(error)")
        }
    }
}

/// f32 → bf16 bits, round to nearest even (NaN stays NaN), 16 lanes at a time.
func roundToBF16(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<UInt16>, _ count: Int) {
    typealias Bits = SIMD16<UInt32>
    var i = 0
    if Vector512.enabled {
        i = count / 16 * 16
        runner_round_bf16(source, target, i)
    }
    while i + 16 <= count {
        let bits = UnsafeRawPointer(source + i).loadUnaligned(as: Bits.self)
        let rounded = (bits &+ (Bits(repeating: 0x7FFF) &+ ((bits &>> 16) & 1))) &>> 16
        let nan = (bits & 0x7FFF_FFFF) .> Bits(repeating: 0x7F80_0000)
        let result = rounded.replacing(with: (bits &>> 16) | 0x40, where: nan)
        UnsafeMutableRawPointer(target + i).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: result), as: SIMD16<UInt16>.self)
        i += 16
    }
    while i < count {
        target[i] = FloatConversion.floatToBF16(source[i])
        i += 1
    }
}
