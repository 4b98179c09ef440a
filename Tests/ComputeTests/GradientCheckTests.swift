// Every backward op of the CPU backend against central finite differences of an f64 reference
// forward (plain loops) on small random inputs: for L = Σ r·f(x) with a fixed random r, the op's
// gradient must equal ∂L/∂x computed numerically in f64.
import struct Basics.SplitMix64
import Compute
import CPUBackend
import Foundation
import RunnerTestSupport
import Testing

/// Numeric gradient of `f` at `x` (f64 central differences).
private func numericGradient(_ x: [Double], step: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
    var x = x
    return (0..<x.count).map { i in
        let saved = x[i]
        x[i] = saved + step; let plus = f(x)
        x[i] = saved - step; let minus = f(x)
        x[i] = saved
        return (plus - minus) / (2 * step)
    }
}

private func weighted(_ out: [Double], _ r: [Float]) -> Double { zip(out, r).reduce(0) { $0 + $1.0 * Double($1.1) } }

/// ‖a − b‖ / ‖b‖ ≤ tolerance, with b not trivial.
private func expectGradient(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-4, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    let norm = expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let diff = zip(actual, expected).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
    #expect(norm > 1e-3, "\(what): reference gradient is (nearly) zero", sourceLocation: sourceLocation)
    #expect(diff <= tolerance * norm, "\(what): relative error \(diff / norm)", sourceLocation: sourceLocation)
}

@Suite struct GradientCheckTests {
    let cpu = CPUBackend()

    @Test func rmsnormBackward() {
        var rng = SplitMix64(seed: 11)
        let (n, c) = (5, 37)
        let x = rng.floats(n * c), w = rng.floats(c).map { 1 + 0.3 * $0 }, r = rng.floats(n * c), prior = rng.floats(n * c)
        let eps: Float = 1e-5
        func forward(_ x: [Double], _ w: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: n * c)
            for row in 0..<n {
                let ms = (0..<c).reduce(0.0) { $0 + x[row * c + $1] * x[row * c + $1] } / Double(c)
                let rstd = 1 / (ms + Double(eps)).squareRoot()
                for i in 0..<c { out[row * c + i] = x[row * c + i] * rstd * w[i] }
            }
            return out
        }
        let (xt, wt, dy) = (tensor(cpu, x, [n, c]), tensor(cpu, w, [c]), tensor(cpu, r, [n, c]))
        let out = cpu.allocate([n, c], dtype: .f32), rstd = cpu.allocate([n], dtype: .f32)
        cpu.rmsnormForward(out, rstd: rstd, xt, weight: wt, eps: eps)
        let dx = tensor(cpu, prior, [n, c]), dw = tensor(cpu, [Float](repeating: 0.5, count: c), [c])
        cpu.rmsnormBackward(dx: dx, dWeight: dw, dy: dy, x: xt, weight: wt, rstd: rstd)
        let xd = x.map(Double.init), wd = w.map(Double.init)
        let gx = numericGradient(xd) { weighted(forward($0, wd), r) }
        let gw = numericGradient(wd) { weighted(forward(xd, $0), r) }
        expectGradient(zip(cpu.readFloats(dx), prior).map { $0 - $1 }, gx, "dx (accumulated onto dx)")
        expectGradient(cpu.readFloats(dw).map { $0 - 0.5 }, gw, "dWeight (accumulated)")
    }

    @Test func ropeBackward() {
        var rng = SplitMix64(seed: 12)
        let (b, t, nh, hd, p) = (2, 3, 2, 8, 6)
        let x = rng.floats(b * t * nh * hd), r = rng.floats(x.count)
        let angles = (0..<p * hd / 2).map { Double($0 % (hd / 2) + 1) * 0.37 * Double($0 / (hd / 2)) }
        let cosv = angles.map { Float(cos($0)) }, sinv = angles.map { Float(sin($0)) }
        let positions: [Int32] = [0, 4, 5, 2, 1, 3]
        func forward(_ x: [Double]) -> [Double] {
            var out = x
            for token in 0..<b * t {
                let pos = Int(positions[token])
                for head in 0..<nh {
                    let base = (token * nh + head) * hd
                    for i in 0..<hd / 2 {
                        let (c, s) = (Double(cosv[pos * hd / 2 + i]), Double(sinv[pos * hd / 2 + i]))
                        out[base + i] = x[base + i] * c - x[base + i + hd / 2] * s
                        out[base + i + hd / 2] = x[base + i + hd / 2] * c + x[base + i] * s
                    }
                }
            }
            return out
        }
        let dy = tensor(cpu, r, [b, t, nh, hd]), dx = cpu.allocate([b, t, nh, hd], dtype: .f32)
        cpu.ropeBackward(dx, dy, cos: tensor(cpu, cosv, [p, hd / 2]), sin: tensor(cpu, sinv, [p, hd / 2]),
                         positions: intTensor(cpu, positions, [b, t]))
        expectGradient(cpu.readFloats(dx), numericGradient(x.map(Double.init)) { weighted(forward($0), r) }, "dx")
    }

    /// Causal GQA attention: T = 7 (row-by-row forward) and T = 19 (sgemm forward), with and without segments.
    @Test(arguments: [(7, false), (19, false), (19, true)])
    func attentionBackward(t: Int, segmented: Bool) {
        var rng = SplitMix64(seed: 13 + UInt64(t))
        let (b, nh, kvh, hd) = (2, 4, 2, 8)
        let scale = 1 / Float(hd).squareRoot()
        let q = rng.floats(b * t * nh * hd, scale: 1.5), k = rng.floats(b * t * kvh * hd, scale: 1.5), v = rng.floats(b * t * kvh * hd)
        let r = rng.floats(q.count)
        let segments: [Int32]? = segmented ? (0..<b * t).map { Int32(($0 % t) < t / 3 ? 0 : 1) } : nil
        func forward(_ q: [Double], _ k: [Double], _ v: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: b * t * nh * hd)
            for batch in 0..<b {
                for head in 0..<nh {
                    let kvHead = head / (nh / kvh)
                    for i in 0..<t {
                        var scores = [Double](repeating: -.infinity, count: t)
                        for j in 0...i where segments == nil || segments![batch * t + j] == segments![batch * t + i] {
                            var dot = 0.0
                            for d in 0..<hd { dot += q[((batch * t + i) * nh + head) * hd + d] * k[((batch * t + j) * kvh + kvHead) * hd + d] }
                            scores[j] = dot * Double(scale)
                        }
                        let m = scores.max()!
                        let e = scores.map { $0 == -.infinity ? 0 : exp($0 - m) }
                        let sum = e.reduce(0, +)
                        for j in 0..<t where e[j] > 0 {
                            for d in 0..<hd { out[((batch * t + i) * nh + head) * hd + d] += e[j] / sum * v[((batch * t + j) * kvh + kvHead) * hd + d] }
                        }
                    }
                }
            }
            return out
        }
        let (qt, kt, vt) = (tensor(cpu, q, [b, t, nh, hd]), tensor(cpu, k, [b, t, kvh, hd]), tensor(cpu, v, [b, t, kvh, hd]))
        let out = cpu.allocate([b, t, nh, hd], dtype: .f32), lse = cpu.allocate([b, nh, t], dtype: .f32)
        let seg = segments.map { intTensor(cpu, $0, [b, t]) }
        cpu.attentionForward(out, logSumExp: lse, q: qt, k: kt, v: vt, pastLength: 0, segmentIds: seg, scale: scale)
        let dq = cpu.allocate(qt.shape, dtype: .f32), dk = cpu.allocate(kt.shape, dtype: .f32), dv = cpu.allocate(vt.shape, dtype: .f32)
        cpu.attentionBackward(dq: dq, dk: dk, dv: dv, dOut: tensor(cpu, r, qt.shape), q: qt, k: kt, v: vt, out: out,
                              logSumExp: lse, segmentIds: seg, scale: scale)
        let (qd, kd, vd) = (q.map(Double.init), k.map(Double.init), v.map(Double.init))
        expectGradient(cpu.readFloats(dq), numericGradient(qd) { weighted(forward($0, kd, vd), r) }, "dq")
        expectGradient(cpu.readFloats(dk), numericGradient(kd) { weighted(forward(qd, $0, vd), r) }, "dk")
        expectGradient(cpu.readFloats(dv), numericGradient(vd) { weighted(forward(qd, kd, $0), r) }, "dv")
    }

    @Test func swigluBackward() {
        var rng = SplitMix64(seed: 14)
        let n = 3000
        let g = rng.floats(n, scale: 4), u = rng.floats(n), r = rng.floats(n)
        let dGate = cpu.allocate([n], dtype: .f32), dUp = cpu.allocate([n], dtype: .f32)
        cpu.swigluBackward(dGate: dGate, dUp: dUp, dOut: tensor(cpu, r, [n]), gate: tensor(cpu, g, [n]), up: tensor(cpu, u, [n]))
        // Elementwise op: the numeric derivative of each element on its own.
        func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
        let h = 1e-6
        let expectedGate = (0..<n).map { i in Double(r[i]) * Double(u[i]) * (silu(Double(g[i]) + h) - silu(Double(g[i]) - h)) / (2 * h) }
        let expectedUp = (0..<n).map { i in Double(r[i]) * silu(Double(g[i])) }
        expectGradient(cpu.readFloats(dGate), expectedGate, "dGate")
        expectGradient(cpu.readFloats(dUp), expectedUp, "dUp")
    }

    @Test func embeddingAndBiasBackward() {
        var rng = SplitMix64(seed: 15)
        let (v, c, n) = (11, 20, 9)
        let tokens: [Int32] = [3, 0, 3, 10, 7, 3, 0, 1, 9]
        let g = rng.floats(n * c)
        let table = cpu.allocate([v, c], dtype: .f32)
        cpu.embeddingBackward(dTable: table, dOut: tensor(cpu, g, [n, c]), tokens: intTensor(cpu, tokens, [n]))
        var expected = [Double](repeating: 0, count: v * c)
        for (row, id) in tokens.enumerated() { for i in 0..<c { expected[Int(id) * c + i] += Double(g[row * c + i]) } }
        expectGradient(cpu.readFloats(table), expected, tolerance: 1e-6, "dTable")
        let bias = tensor(cpu, [Float](repeating: 1, count: c), [c])
        cpu.biasBackward(dBias: bias, dOut: tensor(cpu, g, [n, c]))
        let sums = (0..<c).map { i in 1 + (0..<n).reduce(0.0) { $0 + Double(g[$1 * c + i]) } }
        expectGradient(cpu.readFloats(bias), sums, tolerance: 1e-6, "dBias")
    }

    /// The fused, chunked LM-head loss: loss and gradients w.r.t. hidden and head, ignored labels,
    /// chunks that do not divide N and a chunk with only ignored labels.
    @Test(arguments: [1, 4, 64])
    func crossEntropyBackward(chunkRows: Int) {
        var rng = SplitMix64(seed: 16)
        let (n, c, v) = (10, 12, 23)
        let hidden = rng.floats(n * c), weight = rng.floats(v * c)
        let labels: [Int32] = [5, -100, 22, 0, -100, -100, -100, -100, 7, 13]
        let counted = labels.filter { $0 != -100 }.count
        func loss(_ h: [Double], _ w: [Double]) -> Double {
            var total = 0.0
            for row in 0..<n where labels[row] != -100 {
                let logits = (0..<v).map { j in (0..<c).reduce(0.0) { $0 + h[row * c + $1] * w[j * c + $1] } }
                let m = logits.max()!
                total += log(logits.reduce(0) { $0 + exp($1 - m) }) + m - logits[Int(labels[row])]
            }
            return total / Double(counted)
        }
        let dHidden = cpu.allocate([n, c], dtype: .f32), dWeight = tensor(cpu, [Float](repeating: 0.25, count: v * c), [v, c])
        let result = cpu.crossEntropyLoss(hidden: tensor(cpu, hidden, [n, c]), weight: tensor(cpu, weight, [v, c]),
                                          labels: intTensor(cpu, labels, [n]), dHidden: dHidden, dWeight: dWeight,
                                          gradScale: 1 / Float(counted), chunkRows: chunkRows)
        let (hd, wd) = (hidden.map(Double.init), weight.map(Double.init))
        #expect(result.tokens == counted)
        #expect(abs(result.lossSum / Double(counted) - loss(hd, wd)) <= 1e-5 * loss(hd, wd))
        expectGradient(cpu.readFloats(dHidden), numericGradient(hd) { loss($0, wd) }, "dHidden")
        expectGradient(cpu.readFloats(dWeight).map { $0 - 0.25 }, numericGradient(wd) { loss(hd, $0) }, "dWeight (accumulated)")
        #expect(cpu.readFloats(dHidden)[c..<2 * c].allSatisfy { $0 == 0 }, "ignored rows get no gradient")
    }

    @Test func dropoutIsSeededAndItsOwnBackward() {
        var rng = SplitMix64(seed: 17)
        let n = 20_000, p: Float = 0.25
        let x = rng.floats(n), x1 = tensor(cpu, x, [n]), out = cpu.allocate([n], dtype: .f32), again = cpu.allocate([n], dtype: .f32)
        cpu.dropout(out, x1, probability: p, seed: 42)
        cpu.dropout(again, x1, probability: p, seed: 42)
        let a = cpu.readFloats(out), b = cpu.readFloats(again)
        #expect(a == b, "same seed, same mask")
        let dropped = a.filter { $0 == 0 }.count
        #expect(abs(Float(dropped) / Float(n) - p) < 0.02, "dropped fraction \(Float(dropped) / Float(n))")
        for i in 0..<n where a[i] != 0 { #expect(abs(a[i] - x[i] / (1 - p)) <= 1e-6 * (1 + abs(x[i]))); break }
        cpu.dropout(again, x1, probability: p, seed: 43)
        #expect(cpu.readFloats(again) != a, "another seed, another mask")
        cpu.dropout(again, x1, probability: 0, seed: 43)
        #expect(cpu.readFloats(again) == x)
    }
}
