// Row-wise and elementwise ops on the CPU: bias, residual add, RMSNorm, SwiGLU, softmax, embedding.
import CKernels
import Compute
import Foundation

extension CPUBackend {
    public func addBias(_ out: Tensor, _ bias: Tensor) {
        profileBegin()
        defer { profileEnd("add bias") }
        let cols = bias.count
        precondition(out.shape[-1] == cols && out.count % cols == 0, "bias \(bias.shape) does not fit \(out.shape)")
        let o = f32(out), b = UnsafePointer(f32(bias))
        Parallel.forEach(out.count / cols, work: cols) { rows in
            for row in rows { axpy(1, b, o + row * cols, cols) }
        }
    }

    public func add(_ out: Tensor, _ a: Tensor, _ b: Tensor) {
        profileBegin()
        defer { profileEnd("add (residual)") }
        precondition(out.count == a.count && a.count == b.count, "add of \(a.shape) and \(b.shape) into \(out.shape)")
        let o = f32(out), x = f32(a), y = f32(b)
        Parallel.forEach((out.count + 4095) / 4096, work: 4096) { blocks in
            var i = blocks.lowerBound * 4096
            let end = min(out.count, blocks.upperBound * 4096)
            while i + 16 <= end {
                storeLanes(loadLanes(x + i) + loadLanes(y + i), o + i)
                i += 16
            }
            while i < end {
                o[i] = x[i] + y[i]
                i += 1
            }
        }
    }

    public func rmsnormForward(_ out: Tensor, rstd: Tensor?, _ x: Tensor, weight: Tensor, eps: Float) {
        profileBegin()
        defer { profileEnd("rmsnorm forward") }
        let c = weight.count
        precondition(x.shape[-1] == c && out.count == x.count, "rmsnorm of \(x.shape) with weight \(weight.shape)")
        let rows = x.count / c
        let o = f32(out), xp = f32(x), w = f32(weight)
        let r = rstd.map { f32($0) }
        Parallel.forEach(rows, work: 4 * c) { range in
            for row in range {
                let xr = xp + row * c, orow = o + row * c
                let inverse = 1 / (sumOfSquares(xr, c) / Float(c) + eps).squareRoot()
                r?[row] = inverse
                // HF order: (x · rstd) · weight.
                for i in 0..<c { orow[i] = w[i] * (xr[i] * inverse) }
            }
        }
    }

    public func swigluForward(_ out: Tensor, gate: Tensor, up: Tensor) {
        profileBegin()
        defer { profileEnd("swiglu forward") }
        precondition(out.count == gate.count && gate.count == up.count, "swiglu of \(gate.shape) and \(up.shape)")
        let o = f32(out), g = f32(gate), u = f32(up)
        Parallel.forEach((out.count + 1023) / 1024, work: 16_384) { blocks in
            var i = blocks.lowerBound * 1024
            let end = min(out.count, blocks.upperBound * 1024)
            if Vector512.enabled {
                let whole = (end - i) / 16 * 16
                runner_swiglu_forward(g + i, u + i, o + i, whole)
                i += whole
            }
            while i + 16 <= end {
                let x = loadLanes(g + i)
                storeLanes(x / (1 + expLanes(-x)) * loadLanes(u + i), o + i)
                i += 16
            }
            while i < end {
                let x = g[i]
                o[i] = x / (1 + expf(-x)) * u[i]
                i += 1
            }
        }
    }

    public func softmaxForward(_ out: Tensor, _ x: Tensor) {
        profileBegin()
        defer { profileEnd("softmax") }
        let cols = x.shape[-1]
        precondition(out.count == x.count, "softmax of \(x.shape) into \(out.shape)")
        let o = f32(out), xp = f32(x)
        Parallel.forEach(x.count / max(cols, 1), work: 16 * cols) { rows in
            for row in rows { softmaxRow(xp + row * cols, o + row * cols, cols) }
        }
    }

    public func embeddingForward(_ out: Tensor, table: Tensor, tokens: Tensor) {
        profileBegin()
        defer { profileEnd("embedding forward") }
        let vocab = table.shape[0], c = table.shape[1]
        precondition(out.shape[-1] == c && out.count == tokens.count * c, "embedding of \(tokens.shape) from \(table.shape) into \(out.shape)")
        let o = f32(out), ids = i32(tokens), base = raw(table)
        for n in 0..<tokens.count {
            let id = Int(ids[n])
            precondition(id >= 0 && id < vocab, "token id \(id) at position \(n) is outside the vocabulary (0..<\(vocab))")
            let row = base + id * c * table.dtype.size
            switch table.dtype {
            case .f32: (o + n * c).update(from: row.assumingMemoryBound(to: Float.self), count: c)
            case .bf16: widen(row, dtype: .bf16, o + n * c, c)
            case .f16: widen(row, dtype: .f16, o + n * c, c)
            default: preconditionFailure("embedding table of \(table.dtype)")
            }
        }
    }
}

/// out = softmax(x) over n values (out may alias x).
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let maxValue = maximum(x, n)
    let sum = expShifted(x, out, shift: maxValue, n)
    scaleInPlace(out, 1 / sum, n)
}
