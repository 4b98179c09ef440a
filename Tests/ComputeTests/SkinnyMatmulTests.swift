// The AVX-512 kernels for LoRA's skinny f32 products (CPUSkinnyMatmul.swift) against a Double loop
// and against OpenBLAS: every orientation the LoRA forward/backward uses, ranks that fill, split
// and overflow the 16-lane tiles, row counts that leave tile remainders, worker-split sizes.
import Compute
import CPUBackend
import Foundation
import Testing

@Suite(.enabled(if: CPUBackend.skinnyKernelsAvailable, "the CPU has no AVX-512"))
struct SkinnyMatmulTests {
    /// (m, n, k, transposeA, transposeB): the six LoRA products at a few ranks, plus odd sizes.
    static let products: [(Int, Int, Int, Bool, Bool)] = {
        var out: [(Int, Int, Int, Bool, Bool)] = []
        for r in [1, 5, 16, 17, 33, 64] {
            out.append((300, r, 97, false, true))     // u = x·Aᵀ          (N, r) = (N, IC)·(r, IC)ᵀ
            out.append((300, 131, r, false, true))    // y += s·u·Bᵀ       (N, OC) = (N, r)·(OC, r)ᵀ
            out.append((300, r, 131, false, false))   // du = s·dy·B       (N, r) = (N, OC)·(OC, r)
            out.append((300, 97, r, false, false))    // dx += du·A        (N, IC) = (N, r)·(r, IC)
            out.append((r, 97, 300, true, false))     // dA += duᵀ·x       (r, IC) = (N, r)ᵀ·(N, IC)
            out.append((131, r, 300, true, false))    // dB += s·dyᵀ·u     (OC, r) = (N, OC)ᵀ·(N, r)
        }
        out.append((7, 3, 5, false, true))           // smaller than one tile everywhere
        out.append((2, 64, 64, false, false))
        out.append((3, 2, 2, true, false))
        return out
    }()

    @Test(arguments: products.indices)
    func matchesADoubleLoopAndSgemm(index: Int) throws {
        let (m, n, k, transposeA, transposeB) = Self.products[index]
        let fast = CPUBackend(), reference = CPUBackend()
        fast.useSkinnyKernels = true
        reference.useSkinnyKernels = false
        var rng = TestRandom(seed: UInt64(100 + index))
        let a = rng.floats(m * k), b = rng.floats(k * n), c0 = rng.floats(m * n)
        let aShape: Shape = transposeA ? [k, m] : [m, k], bShape: Shape = transposeB ? [n, k] : [k, n]
        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Double = 0
                    for p in 0..<k {
                        sum += Double(a[transposeA ? p * m + i : i * k + p]) * Double(b[transposeB ? j * k + p : p * n + j])
                    }
                    expected[i * n + j] = Float(Double(alpha) * sum + Double(beta) * Double(c0[i * n + j]))
                }
            }
            // With beta 0 the output must not be read: start it at NaN.
            let start = beta == 0 ? [Float](repeating: .nan, count: m * n) : c0
            let out = tensor(fast, start, [m, n]), blas = tensor(reference, start, [m, n])
            fast.matmul(out, tensor(fast, a, aShape), tensor(fast, b, bShape), transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
            reference.matmul(blas, tensor(reference, a, aShape), tensor(reference, b, bShape), transposeA: transposeA, transposeB: transposeB,
                             alpha: alpha, beta: beta)
            let scale = Float(k).squareRoot()   // error grows with the reduction length
            expectClose(fast.readFloats(out), expected, tolerance: 1e-6 * scale)
            expectClose(fast.readFloats(out), reference.readFloats(blas), tolerance: 2e-6 * scale)
        }
    }

    /// bf16 mode routes LoRA's f32 products through the kernels by default; f32 mode keeps OpenBLAS.
    @Test func onByDefaultInBF16ModeOnly() throws {
        let bf16 = try CPUBackend(matmulPrecision: .bf16)
        #expect(bf16.useSkinnyKernels == (ProcessInfo.processInfo.environment["RUNNER_SKINNY_GEMM"] != "0"))
        #expect(CPUBackend().useSkinnyKernels == (ProcessInfo.processInfo.environment["RUNNER_SKINNY_GEMM"] == "1"))
    }
}
