// The CPU backend's speed-motivated kernels against their plain references: the vectorized exp
// against libm's expf, causal-block attention (forward and backward) against loops over the full
// score square, and per-core split sgemm against one unsplit call.
import struct Basics.SplitMix64
import Compute
import CPUBackend
import Foundation
import RunnerTestSupport
import Testing

@Suite struct FastKernelTests {
    let cpu = CPUBackend()

    /// Distance in units in the last place between two finite floats of the same sign region.
    private func ulps(_ a: Float, _ b: Float) -> Int {
        func ordered(_ x: Float) -> Int64 {
            let bits = Int64(Int32(bitPattern: x.bitPattern))
            return bits < 0 ? Int64(Int32.min) - bits : bits
        }
        return Int(abs(ordered(a) - ordered(b)))
    }

    @Test func vectorExpIsWithinTwoUlpsOfExpf() {
        // A dense sweep over [−110, 95] (underflow, subnormal results, overflow) plus specials.
        var inputs: [Float] = stride(from: Float(-110), through: 95, by: 0.00137).map { $0 }
        inputs += [0, -0, 1, -1, 1e-30, -1e-30, 88.72, 88.7228, 88.7229, 89, -87.33, -103.97, -103.98, -104, -200,
                   .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
        let got = VectorMath.exp(inputs)
        var worst = 0, worstAt: Float = 0, subnormals = 0
        for (x, y) in zip(inputs, got) {
            let expected = expf(x)
            if expected.isNaN { #expect(y.isNaN, "exp(\(x)) = \(y), expected NaN"); continue }
            if expected.isInfinite || expected == 0 {
                // At the overflow/underflow edges one rounding step may land on the neighbour.
                #expect(y == expected || ulps(y, expected) <= 1, "exp(\(x)) = \(y), expected \(expected)")
                continue
            }
            if expected.isSubnormal { subnormals += 1 }
            let distance = ulps(y, expected)
            if distance > worst { (worst, worstAt) = (distance, x) }
        }
        #expect(subnormals > 100, "the sweep should reach subnormal results")
        #expect(worst <= 2, "worst error \(worst) ulp at x = \(worstAt): \(VectorMath.exp([worstAt])[0]) vs \(expf(worstAt))")
    }

    /// Scalar causal attention over the whole T × T square (f64), with optional segments.
    private func reference(q: [Float], k: [Float], v: [Float], dOut: [Float], b: Int, t: Int, nh: Int, kvh: Int, hd: Int,
                           segments: [Int32]?, scale: Double)
        -> (out: [Float], lse: [Float], dq: [Float], dk: [Float], dv: [Float]) {
        var out = [Double](repeating: 0, count: q.count), lse = [Float](repeating: 0, count: b * nh * t)
        var dq = [Double](repeating: 0, count: q.count), dk = [Double](repeating: 0, count: k.count), dv = [Double](repeating: 0, count: v.count)
        func qi(_ bi: Int, _ i: Int, _ h: Int) -> Int { ((bi * t + i) * nh + h) * hd }
        func ki(_ bi: Int, _ j: Int, _ h: Int) -> Int { ((bi * t + j) * kvh + h) * hd }
        for bi in 0..<b { for h in 0..<nh {
            let kh = h / (nh / kvh)
            for i in 0..<t {
                var p = [Double](repeating: 0, count: t)
                var scores = [Double](repeating: -.infinity, count: t)
                for j in 0..<t where j <= i && (segments == nil || segments![bi * t + j] == segments![bi * t + i]) {
                    var d = 0.0
                    for e in 0..<hd { d += Double(q[qi(bi, i, h) + e]) * Double(k[ki(bi, j, kh) + e]) }
                    scores[j] = d * scale
                }
                let m = scores.max()!
                let total = scores.reduce(0) { $0 + ($1 == -.infinity ? 0 : exp($1 - m)) }
                lse[(bi * nh + h) * t + i] = Float(m + log(total))
                for j in 0..<t where scores[j] > -.infinity { p[j] = exp(scores[j] - m) / total }
                // Forward, then the softmax backward for this row.
                var dp = [Double](repeating: 0, count: t)
                for j in 0..<t where p[j] > 0 {
                    for e in 0..<hd {
                        out[qi(bi, i, h) + e] += p[j] * Double(v[ki(bi, j, kh) + e])
                        dv[ki(bi, j, kh) + e] += p[j] * Double(dOut[qi(bi, i, h) + e])
                        dp[j] += Double(dOut[qi(bi, i, h) + e]) * Double(v[ki(bi, j, kh) + e])
                    }
                }
                let rowDot = (0..<t).reduce(0.0) { $0 + p[$1] * dp[$1] }
                for j in 0..<t where p[j] > 0 {
                    let ds = p[j] * (dp[j] - rowDot) * scale
                    for e in 0..<hd {
                        dq[qi(bi, i, h) + e] += ds * Double(k[ki(bi, j, kh) + e])
                        dk[ki(bi, j, kh) + e] += ds * Double(q[qi(bi, i, h) + e])
                    }
                }
            }
        } }
        let f = { (x: [Double]) in x.map { Float($0) } }
        return (f(out), lse, f(dq), f(dk), f(dv))
    }

    /// T spans several causal blocks and ends inside one; GQA with 3 query heads per KV head.
    @Test(arguments: [(150, false), (64, false), (130, true)])
    func causalBlockAttentionEqualsFullSquare(t: Int, segmented: Bool) {
        var rng = SplitMix64(seed: 21 + UInt64(t))
        let (b, nh, kvh, hd) = (2, 6, 2, 16)
        let scale = 1 / Float(hd).squareRoot()
        let q = rng.floats(b * t * nh * hd, scale: 2), k = rng.floats(b * t * kvh * hd, scale: 2)
        let v = rng.floats(b * t * kvh * hd), dOut = rng.floats(b * t * nh * hd)
        let segments: [Int32]? = segmented ? (0..<b * t).map { Int32(($0 % t) < 40 ? 0 : ($0 % t) < 97 ? 1 : 2) } : nil
        let (qt, kt, vt) = (tensor(cpu, q, [b, t, nh, hd]), tensor(cpu, k, [b, t, kvh, hd]), tensor(cpu, v, [b, t, kvh, hd]))
        let seg = segments.map { intTensor(cpu, $0, [b, t]) }
        let out = cpu.allocate(qt.shape, dtype: .f32), lse = cpu.allocate([b, nh, t], dtype: .f32)
        cpu.attentionForward(out, logSumExp: lse, q: qt, k: kt, v: vt, pastLength: 0, segmentIds: seg, scale: scale)
        let dq = cpu.allocate(qt.shape, dtype: .f32), dk = cpu.allocate(kt.shape, dtype: .f32), dv = cpu.allocate(vt.shape, dtype: .f32)
        cpu.attentionBackward(dq: dq, dk: dk, dv: dv, dOut: tensor(cpu, dOut, qt.shape), q: qt, k: kt, v: vt, out: out,
                              logSumExp: lse, segmentIds: seg, scale: scale)
        let expected = reference(q: q, k: k, v: v, dOut: dOut, b: b, t: t, nh: nh, kvh: kvh, hd: hd, segments: segments, scale: Double(scale))
        expectClose(cpu.readFloats(out), expected.out)
        expectClose(cpu.readFloats(lse), expected.lse)
        expectClose(cpu.readFloats(dq), expected.dq, tolerance: 2e-5)
        expectClose(cpu.readFloats(dk), expected.dk, tolerance: 2e-5)
        expectClose(cpu.readFloats(dv), expected.dv, tolerance: 2e-5)
    }

    /// Training's shapes (tall, wide, skinny LoRA products, both transposes) split over all cores
    /// give one core's result (to f32 rounding), and that result is the product.
    @Test func splitSgemmEqualsOneCall() {
        let single = CPUBackend(threads: 1)
        var rng = SplitMix64(seed: 5)
        for (m, k, n, ta, tb) in [(300, 96, 200, false, true), (40, 130, 700, false, false), (16, 257, 96, true, false),
                                  (400, 257, 16, true, false), (333, 64, 48, false, true), (1, 300, 700, false, true), (1, 300, 700, false, false)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), c0 = rng.floats(m * n)
            func run(_ backend: CPUBackend) -> [Float] {
                let out = tensor(backend, c0, [m, n])
                backend.matmul(out, tensor(backend, a, ta ? [k, m] : [m, k]), tensor(backend, b, tb ? [n, k] : [k, n]),
                               transposeA: ta, transposeB: tb, alpha: 0.75, beta: 0.5)
                return backend.readFloats(out)
            }
            let split = run(cpu), whole = run(single)
            // Same kernel, same K order per element: equal up to OpenBLAS picking another micro-kernel for a block.
            expectClose(split, whole, tolerance: 1e-6)
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[ta ? p * m + i : i * k + p]) * Double(b[tb ? j * k + p : p * n + j]) }
                expected[i * n + j] = Float(0.75 * sum + 0.5 * Double(c0[i * n + j]))
            } }
            expectClose(split, expected)
        }
    }
}
