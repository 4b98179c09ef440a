// Backward of the row-wise and elementwise ops on the CPU: RMSNorm, RoPE, SwiGLU, embedding,
// bias, plus zero-fill and seeded dropout. Attention and the loss have files of their own.
import CKernels
import Compute
import Foundation

extension CPUBackend: TrainingBackend {
    public func zero(_ t: Tensor) {
        profileBegin()
        defer { profileEnd("zero") }
        precondition(t.isContiguous, "zero of a non-contiguous view \(t)")
        raw(t).initializeMemory(as: UInt8.self, repeating: 0, count: t.byteCount)
    }

    public func rmsnormBackward(dx: Tensor, dWeight: Tensor?, dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor) {
        profileBegin()
        defer { profileEnd("rmsnorm backward") }
        let c = weight.count
        precondition(x.shape[-1] == c && dy.count == x.count && dx.count == x.count && rstd.count == x.count / c,
                     "rmsnorm backward of \(x.shape) with weight \(weight.shape), rstd \(rstd.shape)")
        let rows = x.count / c
        let dxp = f32(dx), dyp = f32(dy), xp = f32(x), w = f32(weight), r = f32(rstd)
        let partials = dWeight.map { _ in workerScratch(floatsPerWorker: 2 * c) }  // per worker: dW (C), w·dy (C)
        let rowScratch = partials ?? workerScratch(floatsPerWorker: 2 * c)
        if let partials { partials.initialize(repeating: 0, count: 2 * c * workers) }
        Parallel.forEachWorker(rows, work: 8 * c) { worker, range in
            let dWPartial = partials.map { $0 + worker * 2 * c }
            let g = rowScratch + worker * 2 * c + c
            for row in range {
                let xr = xp + row * c, dyr = dyp + row * c, dxr = dxp + row * c
                let inverse = r[row]
                for i in 0..<c { g[i] = w[i] * dyr[i] }
                let mean = dot(g, xr, c) / Float(c)
                let k = inverse * inverse * mean
                for i in 0..<c { dxr[i] += inverse * (g[i] - xr[i] * k) }
                if let dWPartial {
                    for i in 0..<c { dWPartial[i] += dyr[i] * xr[i] * inverse }
                }
            }
        }
        if let dWeight, let partials {
            let dw = f32(dWeight)
            for worker in 0..<workers { axpy(1, partials + worker * 2 * c, dw, c) }
        }
    }

    public func swigluBackward(dGate: Tensor, dUp: Tensor, dOut: Tensor, gate: Tensor, up: Tensor) {
        profileBegin()
        defer { profileEnd("swiglu backward") }
        let n = gate.count
        precondition(dGate.count == n && dUp.count == n && dOut.count == n && up.count == n, "swiglu backward of \(gate.shape)")
        let dg = f32(dGate), du = f32(dUp), dO = f32(dOut), g = f32(gate), u = f32(up)
        Parallel.forEach((n + 1023) / 1024, work: 24_576) { blocks in
            var i = blocks.lowerBound * 1024
            let end = min(n, blocks.upperBound * 1024)
            if Vector512.enabled {
                let whole = (end - i) / 16 * 16
                runner_swiglu_backward(g + i, u + i, dO + i, dg + i, du + i, whole)
                i += whole
            }
            while i + 16 <= end {
                let x = loadLanes(g + i), grad = loadLanes(dO + i)
                let sigmoid = 1 / (1 + expLanes(-x))
                storeLanes(grad * x * sigmoid, du + i)
                storeLanes(grad * loadLanes(u + i) * sigmoid * (1 + x * (1 - sigmoid)), dg + i)
                i += 16
            }
            for i in i..<end {
                let x = g[i], upValue = u[i], grad = dO[i]
                let sigmoid = 1 / (1 + expf(-x))
                du[i] = grad * x * sigmoid
                dg[i] = grad * upValue * sigmoid * (1 + x * (1 - sigmoid))
            }
        }
    }

    public func embeddingBackward(dTable: Tensor, dOut: Tensor, tokens: Tensor) {
        profileBegin()
        defer { profileEnd("embedding backward") }
        let vocab = dTable.shape[0], c = dTable.shape[1]
        precondition(dOut.count == tokens.count * c, "embedding backward of \(tokens.shape) into \(dTable.shape)")
        let table = f32(dTable), g = f32(dOut), ids = i32(tokens)
        for n in 0..<tokens.count {
            let id = Int(ids[n])
            precondition(id >= 0 && id < vocab, "token id \(id) at position \(n) is outside the vocabulary (0..<\(vocab))")
            axpy(1, g + n * c, table + id * c, c)
        }
    }

    public func biasBackward(dBias: Tensor, dOut: Tensor) {
        profileBegin()
        defer { profileEnd("bias backward") }
        let cols = dBias.count
        precondition(dOut.shape[-1] == cols, "bias backward of \(dOut.shape) into \(dBias.shape)")
        let db = f32(dBias), g = f32(dOut)
        // Columns split across workers; each sums its columns over every row.
        Parallel.forEach(cols, work: dOut.count / max(cols, 1)) { range in
            for row in 0..<(dOut.count / cols) {
                axpy(1, g + row * cols + range.lowerBound, db + range.lowerBound, range.count)
            }
        }
    }

    public func dropout(_ out: Tensor, _ x: Tensor, probability: Float, seed: UInt64) {
        profileBegin()
        defer { profileEnd("dropout") }
        precondition(out.count == x.count, "dropout of \(x.shape) into \(out.shape)")
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) is outside [0, 1)")
        let o = f32(out), xp = f32(x), n = x.count
        if probability == 0 {
            if o != xp { o.update(from: xp, count: n) }
            return
        }
        let keepScale = 1 / (1 - probability)
        Parallel.forEach((n + 4095) / 4096, work: 16_384) { blocks in
            let end = min(n, blocks.upperBound * 4096)
            for i in (blocks.lowerBound * 4096)..<end {
                o[i] = DropoutMask.keeps(seed: seed, index: UInt64(i), probability: probability) ? xp[i] * keepScale : 0
            }
        }
    }
}

/// The dropout mask generator: SplitMix64 of (seed, index), so any element's bit can be computed
/// on its own, in any order, on any backend.
public enum DropoutMask {
    /// True when element `index` is kept (probability 1 − p).
    @inline(__always)
    public static func keeps(seed: UInt64, index: UInt64, probability: Float) -> Bool {
        var z = seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let uniform = Float(z >> 40) * (1 / Float(1 << 24))   // [0, 1)
        return uniform >= probability
    }
}
