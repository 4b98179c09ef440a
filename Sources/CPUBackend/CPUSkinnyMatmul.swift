// LoRA's thin f32 products — x·Aᵀ, u·Bᵀ, dy·B, du·A, duᵀ·x, dyᵀ·u, where one side is the rank
// r ≤ 64 — on CKernels' AVX-512 register-tile kernels instead of sgemm, split over the workers.
// f32 in, f32 FMA accumulation out: only the summation order differs from sgemm's.
import CKernels
import Compute
import Foundation

extension CPUBackend {
    /// True when this CPU has the kernels (AVX-512F).
    public static let skinnyKernelsAvailable = runner_skinny_available() != 0

    /// Whether f32 products with a dimension ≤ 64 use the skinny kernels: on in bf16 mode (the f32
    /// reference mode keeps OpenBLAS, bit for bit). RUNNER_SKINNY_GEMM=1 or 0 forces it either way.
    static func skinnyKernelsWanted(bf16Mode: Bool) -> Bool {
        guard skinnyKernelsAvailable else { return false }
        switch ProcessInfo.processInfo.environment["RUNNER_SKINNY_GEMM"] {
        case "1": return true
        case "0": return false
        default: return bf16Mode
        }
    }

    /// `out = alpha·op(a)·op(b) + beta·out` for f32 a, b when one of m, n, k is at most 64 (and
    /// `m > 1`); false, touching nothing, when no skinny kernel fits the product.
    func skinnyMatmul(_ out: Tensor, _ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int,
                      transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) -> Bool {
        let small = Int(RUNNER_SKINNY_MAX)
        let ap = UnsafePointer(f32(a)), bp = UnsafePointer(f32(b)), cp = f32(out)
        if transposeA {
            // out (m × n) = aᵀ·b, a (k × m), b (k × n): a sum over k rows (dA += duᵀ·x, dB += dyᵀ·u).
            guard !transposeB else { return false }
            if m <= small {
                Parallel.forEach((n + 15) / 16, work: 2 * k * m * 16) { blocks in
                    runner_sgemm_reduce_rows(blocks.lowerBound * 16, min(n, blocks.upperBound * 16), k, m, alpha,
                                             ap, m, bp, n, beta, cp, n, 0)
                }
            } else if n <= small {
                // outᵀ (n × m) = bᵀ·a, written transposed into out.
                Parallel.forEach((m + 15) / 16, work: 2 * k * n * 16) { blocks in
                    runner_sgemm_reduce_rows(blocks.lowerBound * 16, min(m, blocks.upperBound * 16), k, n, alpha,
                                             bp, n, ap, m, beta, cp, n, 1)
                }
            } else {
                return false
            }
            return true
        }
        if n <= small && n <= k {
            // Narrow output (u = x·Aᵀ, du = dy·B): op(b) packed as (k × n rounded up to 16), zero-padded.
            let width = (n + 15) / 16 * 16
            let packed = scratchFloats(k * width, slot: "matmul.skinny")
            for p in 0..<k {
                let row = packed + p * width
                for j in 0..<n { row[j] = transposeB ? bp[j * k + p] : bp[p * n + j] }
                for j in n..<width { row[j] = 0 }
            }
            Parallel.forEach(m, work: 2 * k * n) { rows in
                runner_sgemm_small_n(rows.lowerBound, rows.upperBound, n, k, alpha, ap, k, packed, width, beta, cp, n)
            }
            return true
        }
        if k <= small {
            // Short reduction (y += u·Bᵀ, dx += du·A): op(b) as (k × n) rows, transposed into scratch when stored (n × k).
            var rows = bp
            if transposeB {
                let transposed = scratchFloats(k * n, slot: "matmul.skinny")
                for j in 0..<n {
                    for p in 0..<k { transposed[p * n + j] = bp[j * k + p] }
                }
                rows = UnsafePointer(transposed)
            }
            Parallel.forEach(m, work: 2 * k * n) { range in
                runner_sgemm_small_k(range.lowerBound, range.upperBound, n, k, alpha, ap, k, rows, n, beta, cp, n)
            }
            return true
        }
        return false
    }
}
