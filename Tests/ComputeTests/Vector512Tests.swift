// CKernels' AVX-512 elementwise kernels against the Swift SIMD code they stand in for: exp rows,
// SwiGLU forward/backward and bf16 rounding must agree bit for bit (including infinities, NaN,
// subnormal results and the clamp edges), so f32 results do not depend on the CPU's vector width.
import CKernels
import struct Basics.SplitMix64
import Compute
import CPUBackend
import Foundation
import RunnerTestSupport
import Testing

@Suite(.enabled(if: runner_avx512_available() != 0, "the CPU has no AVX-512"))
struct Vector512Tests {
    /// Random values over exp's whole range plus the edges: clamps, overflow, subnormal results, ±0, ±inf, NaN.
    static func inputs(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        let edges: [Float] = [-104, -103.97, -103.9, -87.3, -87.4, 88.72, 88.73, 89, 89.5, -150, 0, -0.0, 1e-30,
                              .infinity, -.infinity, .nan, 0.5, -0.5, 0.34657359, 20, -20]
        return edges + (0..<count - edges.count).map { _ in rng.signedUnitFloat() * 110 }
    }

    @Test func expRowsMatchTheSwiftLanes() {
        let x = Self.inputs(4096, seed: 1)
        for shift: Float in [0, 3.5, -12.25] {
            var out = [Float](repeating: 0, count: x.count), sums = [Float](repeating: 0, count: 16)
            runner_exp_shifted(x, &out, shift, x.count, &sums)
            let reference = VectorMath.exp(x.map { $0 - shift })
            #expect(zip(out, reference).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }, "exp differs at shift \(shift)")
            // Per-lane sums in block order, as the Swift loop keeps them.
            var lanes = [Float](repeating: 0, count: 16)
            for block in stride(from: 0, to: x.count, by: 16) {
                for j in 0..<16 { lanes[j] += reference[block + j] }
            }
            #expect(zip(sums, lanes).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern })
        }
    }

    @Test func swigluMatchesTheSwiftFormula() {
        let count = 2048
        var rng = SplitMix64(seed: 5)
        let gate = Self.inputs(count, seed: 2).map { $0 / 4 }, up = rng.floats(count, scale: 3), dOut = rng.floats(count, scale: 2)
        let e = VectorMath.exp(gate.map { 0 - $0 })
        var out = [Float](repeating: 0, count: count), dGate = out, dUp = out
        runner_swiglu_forward(gate, up, &out, count)
        runner_swiglu_backward(gate, up, dOut, &dGate, &dUp, count)
        for i in 0..<count {
            let x = gate[i], sigmoid = 1 / (1 + e[i])
            let forward = x / (1 + e[i]) * up[i]
            let upGrad = dOut[i] * x * sigmoid
            let gateGrad = dOut[i] * up[i] * sigmoid * (1 + x * (1 - sigmoid))
            #expect(same(out[i], forward) && same(dUp[i], upGrad) && same(dGate[i], gateGrad), "swiglu differs at gate \(x)")
        }
    }

    @Test func bf16RoundingMatchesTheScalarConversion() {
        var rng = SplitMix64(seed: 9)
        let specials: [Float] = [1.00390625, 1.01171875, 3.3895314e38, 3.4e38, .infinity, -.infinity, .nan, -.nan, 0x1p-133, -2.5,
                                 0x1.FFFFFEp0, 0, -0.0, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFFC0_1234)]
        let values = specials + (0..<(1024 - specials.count)).map { _ in rng.signedUnitFloat() * 1e4 }
        var out = [UInt16](repeating: 0, count: values.count)
        runner_round_bf16(values, &out, values.count)
        for (value, rounded) in zip(values, out) {
            #expect(rounded == FloatConversion.floatToBF16(value), "\(value) (\(String(value.bitPattern, radix: 16)))")
        }
    }

    func same(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }
}

extension Vector512Tests {
    @Test func maximumAndScaleMatchTheSwiftLoops() {
        var values = Self.inputs(1024, seed: 4)
        var lanes = [Float](repeating: -.infinity, count: 16)
        runner_lane_maximum(values, values.count, &lanes)
        var expected = [Float](repeating: -.infinity, count: 16)
        for (i, v) in values.enumerated() where v > expected[i % 16] { expected[i % 16] = v }
        #expect(zip(lanes, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
        let reference = values.map { $0 * 0.37 }
        runner_scale(&values, 0.37, values.count)
        #expect(zip(values, reference).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern })
    }
}
