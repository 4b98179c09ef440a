// Each CPU op against a plain scalar loop on fresh random inputs (the reference semantics).
import struct Basics.SplitMix64
import Compute
import CPUBackend
import Foundation
import RunnerTestSupport
import Testing

@Suite struct CPUOpTests {
    let cpu = CPUBackend()

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulMatchesLoop(transposeA: Bool, transposeB: Bool) {
        var rng = SplitMix64(seed: 1)
        for (m, k, n) in [(7, 33, 19), (1, 48, 23), (64, 64, 96)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), c0 = rng.floats(m * n)
            let at = tensor(cpu, a, transposeA ? [k, m] : [m, k])
            let bt = tensor(cpu, b, transposeB ? [n, k] : [k, n])
            let out = tensor(cpu, c0, [m, n])
            cpu.matmul(out, at, bt, transposeA: transposeA, transposeB: transposeB, alpha: 0.5, beta: 2)
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k {
                        sum += a[transposeA ? p * m + i : i * k + p] * b[transposeB ? j * k + p : p * n + j]
                    }
                    expected[i * n + j] = 0.5 * sum + 2 * c0[i * n + j]
                }
            }
            expectClose(cpu.readFloats(out), expected)
        }
    }

    @Test(arguments: [DType.bf16, .f16])
    func matmulWidens16BitWeights(dtype: DType) {
        var rng = SplitMix64(seed: 2)
        let (m, k, n) = (5, 40, 24)
        let x = rng.floats(m * k), w = rng.floats(n * k)
        let w16 = cpu.upload(Tensor.host(w, shape: [n, k]), as: dtype)
        #expect(w16.dtype == dtype)
        let rounded = cpu.readFloats(w16)
        #expect(rounded != w, "conversion should round")
        let out = cpu.allocate([m, n], dtype: .f32)
        cpu.linearForward(out, tensor(cpu, x, [m, k]), weight: w16, bias: nil)
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { expected[i * n + j] += x[i * k + p] * rounded[j * k + p] } } }
        expectClose(cpu.readFloats(out), expected)
    }

    @Test func linearAddsBias() {
        var rng = SplitMix64(seed: 3)
        let (m, k, n) = (3, 16, 10)
        let x = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
        let out = cpu.allocate([m, n], dtype: .f32)
        cpu.linearForward(out, tensor(cpu, x, [m, k]), weight: tensor(cpu, w, [n, k]), bias: tensor(cpu, bias, [n]))
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            expected[i * n + j] = bias[j]
            for p in 0..<k { expected[i * n + j] += x[i * k + p] * w[j * k + p] }
        } }
        expectClose(cpu.readFloats(out), expected)
    }

    @Test func rmsnormMatchesLoop() {
        var rng = SplitMix64(seed: 4)
        let (rows, c) = (37, 70)
        let x = rng.floats(rows * c, scale: 3), w = rng.floats(c)
        let out = cpu.allocate([rows, c], dtype: .f32), rstd = cpu.allocate([rows], dtype: .f32)
        cpu.rmsnormForward(out, rstd: rstd, tensor(cpu, x, [rows, c]), weight: tensor(cpu, w, [c]), eps: 1e-5)
        var expected = [Float](), expectedRstd = [Float]()
        for r in 0..<rows {
            var ms: Double = 0
            for i in 0..<c { ms += Double(x[r * c + i]) * Double(x[r * c + i]) }
            let inv = Float(1 / (ms / Double(c) + 1e-5).squareRoot())
            expectedRstd.append(inv)
            for i in 0..<c { expected.append(w[i] * x[r * c + i] * inv) }
        }
        expectClose(cpu.readFloats(out), expected)
        expectClose(cpu.readFloats(rstd), expectedRstd)
    }

    @Test func ropeRotatesHalves() {
        var rng = SplitMix64(seed: 5)
        let (b, t, nh, hd, p) = (2, 5, 3, 8, 11)
        let x = rng.floats(b * t * nh * hd)
        let angles = (0..<p * hd / 2).map { _ in rng.signedUnitFloat() * 3 }
        let cosT = angles.map { Foundation.cos($0) }, sinT = angles.map { Foundation.sin($0) }
        let positions: [Int32] = (0..<b * t).map { Int32(($0 * 7) % p) }
        let xt = tensor(cpu, x, [b, t, nh, hd])
        cpu.ropeForward(xt, xt, cos: tensor(cpu, cosT, [p, hd / 2]), sin: tensor(cpu, sinT, [p, hd / 2]),
                        positions: intTensor(cpu, positions, [b, t]))
        var expected = x
        for token in 0..<b * t {
            let pos = Int(positions[token])
            for h in 0..<nh {
                let base = (token * nh + h) * hd
                // rotate_half: out = x·cos + [−x2, x1]·sin, with cos/sin repeated over both halves.
                for i in 0..<hd {
                    let f = i % (hd / 2)
                    let rotated = i < hd / 2 ? -x[base + i + hd / 2] : x[base + i - hd / 2]
                    expected[base + i] = x[base + i] * cosT[pos * hd / 2 + f] + rotated * sinT[pos * hd / 2 + f]
                }
            }
        }
        expectClose(cpu.readFloats(xt), expected)
    }

    @Test func swigluSoftmaxAddMatchLoops() {
        var rng = SplitMix64(seed: 6)
        let n = 3000
        let g = rng.floats(n, scale: 4), u = rng.floats(n)
        let out = cpu.allocate([n], dtype: .f32)
        cpu.swigluForward(out, gate: tensor(cpu, g, [n]), up: tensor(cpu, u, [n]))
        expectClose(cpu.readFloats(out), (0..<n).map { i -> Float in g[i] / (1 + exp(-g[i])) * u[i] })

        cpu.add(out, tensor(cpu, g, [n]), tensor(cpu, u, [n]))
        expectClose(cpu.readFloats(out), (0..<n).map { g[$0] + u[$0] })

        let (rows, cols) = (6, 500)
        let x = rng.floats(rows * cols, scale: 10)
        let sm = tensor(cpu, x, [rows, cols])
        cpu.softmaxForward(sm, sm)
        var expected = [Float]()
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let m = row.max()!, total = row.map { exp($0 - m) }.reduce(0, +)
            expected += row.map { Float(exp($0 - m) / total) }
        }
        expectClose(cpu.readFloats(sm), expected)
    }

    @Test(arguments: [DType.f32, .bf16])
    func embeddingLooksUpRows(dtype: DType) {
        var rng = SplitMix64(seed: 7)
        let (v, c) = (50, 24)
        let table = cpu.upload(Tensor.host(rng.floats(v * c), shape: [v, c]), as: dtype)
        let rows = cpu.readFloats(table)
        let ids: [Int32] = [3, 49, 0, 3, 17]
        let out = cpu.allocate([ids.count, c], dtype: .f32)
        cpu.embeddingForward(out, table: table, tokens: intTensor(cpu, ids, [ids.count]))
        expectClose(cpu.readFloats(out), ids.flatMap { rows[(Int($0) * c)..<(Int($0) * c + c)] })
    }

    /// Scalar attention over keys ≤ pastLength + t, masked by segment when given.
    func referenceAttention(q: [Float], k: [Float], v: [Float], b: Int, t: Int, s: Int, nh: Int, kvh: Int, hd: Int,
                            past: Int, segments: [Int32]?, scale: Float) -> (out: [Float], lse: [Float]) {
        var out = [Float](repeating: 0, count: b * t * nh * hd), lse = [Float](repeating: 0, count: b * nh * t)
        for bi in 0..<b { for h in 0..<nh { for i in 0..<t {
            let qi = past + i, kh = h / (nh / kvh)
            var scores = [Double](), used = [Int]()
            for j in 0...qi where segments == nil || segments![bi * s + j] == segments![bi * s + qi] {
                var d: Double = 0
                for e in 0..<hd { d += Double(q[((bi * t + i) * nh + h) * hd + e]) * Double(k[((bi * s + j) * kvh + kh) * hd + e]) }
                scores.append(d * Double(scale)); used.append(j)
            }
            let m = scores.max()!, total = scores.map { exp($0 - m) }.reduce(0, +)
            lse[(bi * nh + h) * t + i] = Float(m + log(total))
            for (w, j) in zip(scores.map { exp($0 - m) / total }, used) {
                for e in 0..<hd { out[((bi * t + i) * nh + h) * hd + e] += Float(w) * v[((bi * s + j) * kvh + kh) * hd + e] }
            }
        } } }
        return (out, lse)
    }

    /// t < 16 runs row by row; t ≥ 16 goes through sgemm per head.
    @Test(arguments: [(0, false, 6), (4, false, 6), (0, true, 6), (0, false, 20), (5, false, 17), (0, true, 24)])
    func attentionMatchesLoop(past: Int, packed: Bool, t: Int) {
        var rng = SplitMix64(seed: 8 + UInt64(past + t))
        let (b, nh, kvh, hd) = (2, 4, 2, 32)
        let s = past + t + 3  // a cache with unused tail slots
        let q = rng.floats(b * t * nh * hd), k = rng.floats(b * s * kvh * hd), v = rng.floats(b * s * kvh * hd)
        let segments: [Int32]? = packed ? (0..<b * s).map { Int32(($0 % s) < 2 ? 0 : ($0 % s) < 5 ? 1 : ($0 % s) < 13 ? 2 : 3) } : nil
        let out = cpu.allocate([b, t, nh, hd], dtype: .f32), lse = cpu.allocate([b, nh, t], dtype: .f32)
        cpu.attentionForward(out, logSumExp: lse, q: tensor(cpu, q, [b, t, nh, hd]), k: tensor(cpu, k, [b, s, kvh, hd]),
                             v: tensor(cpu, v, [b, s, kvh, hd]), pastLength: past,
                             segmentIds: segments.map { intTensor(cpu, $0, [b, s]) }, scale: 1 / Float(hd).squareRoot())
        let reference = referenceAttention(q: q, k: k, v: v, b: b, t: t, s: s, nh: nh, kvh: kvh, hd: hd, past: past,
                                           segments: segments, scale: 1 / Float(hd).squareRoot())
        expectClose(cpu.readFloats(out), reference.out)
        expectClose(cpu.readFloats(lse), reference.lse)
    }

    @Test func stridedCopyConvertsAndSlices() {
        var rng = SplitMix64(seed: 9)
        let x = rng.floats(4 * 6 * 5)
        let src = tensor(cpu, x, [4, 6, 5]).slice(axis: 1, 2..<5)  // (4, 3, 5), strided
        #expect(!src.isContiguous)
        let dst = cpu.allocate([4, 3, 5], dtype: .bf16)
        cpu.copy(dst, from: src)
        var expected = [Float]()
        for i in 0..<4 { for j in 2..<5 { for e in 0..<5 {
            expected.append(FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(x[(i * 6 + j) * 5 + e])))
        } } }
        #expect(cpu.readFloats(dst) == expected)
    }

    @Test func arenaSlotsAreDisjointViews() {
        var plan = ArenaPlan()
        let a = plan.add("a", [3, 5]), b = plan.add("b", [7], dtype: .i32)
        let arena = plan.allocate(on: cpu)
        cpu.write([Float](repeating: 1.5, count: 15), to: arena[a])
        cpu.write((0..<7).map(Int32.init), to: arena[b])
        #expect(cpu.readFloats(arena[a]) == [Float](repeating: 1.5, count: 15))
        #expect(cpu.readFloats(arena[b]) == (0..<7).map(Float.init))
        #expect(arena.byteCount >= 64 + 28)
    }
}
