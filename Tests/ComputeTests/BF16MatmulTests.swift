// The CPU backend's bf16 matmul mode (oneDNN) against a scalar loop over the same bf16-rounded
// inputs: products of bf16 values are exact in f32, so only summation order may differ.
import struct Basics.SplitMix64
import Compute
import CPUBackend
import Foundation
import RunnerTestSupport
import Testing

@Suite struct BF16MatmulTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matchesLoopOverRoundedInputs(transposeA: Bool, transposeB: Bool) throws {
        let cpu = try CPUBackend(matmulPrecision: .bf16)
        #expect(cpu.matmulPrecision == .bf16 && cpu.bf16Kernel != nil)
        var rng = SplitMix64(seed: 7)
        for (m, k, n) in [(7, 33, 19), (1, 48, 23), (130, 96, 70)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), c0 = rng.floats(m * n)
            let at = tensor(cpu, a, transposeA ? [k, m] : [m, k])
            let bt = cpu.upload(Tensor.host(b, shape: transposeB ? [n, k] : [k, n]), as: .bf16)
            let out = tensor(cpu, c0, [m, n])
            cpu.matmul(out, at, bt, transposeA: transposeA, transposeB: transposeB, alpha: 0.5, beta: 2)
            let ra = a.map { FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0)) }
            let rb = cpu.readFloats(bt)
            #expect(ra != a, "the left-hand side should be rounded")
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Double = 0
                    for p in 0..<k {
                        sum += Double(ra[transposeA ? p * m + i : i * k + p]) * Double(rb[transposeB ? j * k + p : p * n + j])
                    }
                    expected[i * n + j] = Float(0.5 * sum + 2 * Double(c0[i * n + j]))
                }
            }
            expectClose(cpu.readFloats(out), expected)
        }
    }

    /// The LM head's input gradient, (M, 49152) · (49152, 576): oneDNN needs a scratchpad for a K
    /// this long, and the two workers run row blocks of the same shape at once. With oneDNN's shared
    /// library scratchpad they raced (errors of 10²); each worker now has its own.
    @Test func longReductionsSplitOverWorkersAgreeWithSgemm() throws {
        let cpu = try CPUBackend(matmulPrecision: .bf16), reference = CPUBackend()
        var rng = SplitMix64(seed: 9)
        let (m, k, n) = (128, 49152, 576)
        let a = rng.floats(m * k).map { FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0)) }
        let b = rng.floats(k * n)
        let bt = cpu.upload(Tensor.host(b, shape: [k, n]), as: .bf16)
        let rb = cpu.readFloats(bt)
        let expected = reference.allocate([m, n], dtype: .f32)
        reference.matmul(expected, tensor(reference, a, [m, k]), tensor(reference, rb, [k, n]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
        let want = reference.readFloats(expected)
        let bound = a.map(abs).max()! * rb.map(abs).max()! * Float(k)
        for _ in 0..<3 {
            let out = cpu.allocate([m, n], dtype: .f32)
            cpu.matmul(out, tensor(cpu, a, [m, k]), bt, transposeA: false, transposeB: false, alpha: 1, beta: 0)
            let worst = zip(cpu.readFloats(out), want).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5 * bound, "max |bf16 − sgemm| = \(worst) over K = \(k) (bound \(1e-5 * bound))")
        }
    }

    @Test func f32WeightsStayExact() throws {
        let cpu = try CPUBackend(matmulPrecision: .bf16), reference = CPUBackend()
        var rng = SplitMix64(seed: 8)
        let (m, k, n) = (9, 40, 12)
        let x = tensor(cpu, rng.floats(m * k), [m, k]), w = tensor(cpu, rng.floats(n * k), [n, k])
        let out = cpu.allocate([m, n], dtype: .f32), expected = reference.allocate([m, n], dtype: .f32)
        cpu.linearForward(out, x, weight: w, bias: nil)
        reference.linearForward(expected, x, weight: w, bias: nil)
        #expect(cpu.readFloats(out) == reference.readFloats(expected))
    }

    @Test func roundsLikeTheScalarConversion() throws {
        let cpu = try CPUBackend(matmulPrecision: .bf16)
        // Ties to even, carries into the exponent, infinities, NaN, subnormals (flushed): each value times 1,
        // as a (40, 1) · (1, 1) product so no value meets another.
        let specials: [Float] = [1.00390625, 1.01171875, 3.3895314e38, .infinity, -.infinity, .nan, 0x1p-133, -2.5, 0x1.FFFFFEp0]
        let values = (0..<40).map { specials[$0 % specials.count] }
        let one = cpu.upload(Tensor.host([1], shape: [1, 1]), as: .bf16)
        let out = cpu.allocate([values.count, 1], dtype: .f32)
        cpu.matmul(out, tensor(cpu, values, [values.count, 1]), one, transposeA: false, transposeB: false, alpha: 1, beta: 0)
        let got = cpu.readFloats(out)
        for (value, result) in zip(values, got) {
            let expected = FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(value))
            if expected.isSubnormal {
                // oneDNN's bf16 kernels flush subnormal inputs to zero (DAZ); far below any activation's scale.
                #expect(result == 0 || result == expected, "\(value) → \(result), expected 0 or \(expected)")
            } else {
                #expect(expected.isNaN ? result.isNaN : result == expected, "\(value) → \(result), expected \(expected)")
            }
        }
    }
}
