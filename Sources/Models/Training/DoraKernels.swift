// The per-row loops DoRA needs beside GEMMs: row norms of W + s·B·A, rows scaled by g = m/‖·‖,
// and the row dot products of the magnitude gradient. O(OC·IC) per layer (a GEMM is O(N·OC·IC)).
// Host memory only (the CPU backend), like the dequantization of a quantized base.
import Compute

enum DoraKernels {
    /// The f32 elements of a contiguous host tensor.
    static func floats(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        guard let buffer = t.hostBuffer, t.dtype == .f32, t.isContiguous else {
            preconditionFailure("DoRA needs contiguous f32 host tensors (the CPU backend), got \(t)")
        }
        return (buffer.pointer + t.byteOffset).assumingMemoryBound(to: Float.self)
    }

    /// Σ a[i]·b[i] over `count` elements, in eight f32 lanes.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes.addProduct(x, y)
            i += 8
        }
        var sum = lanes.sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// norms[j] = ‖V[j, :]‖ and factors[j] = m[j] / norms[j] for V (rows, columns).
    static func normsAndFactors(_ v: Tensor, magnitude: Tensor, norms: Tensor, factors: Tensor) {
        let (rows, columns) = (v.shape[0], v.shape[1])
        let vp = floats(v), m = floats(magnitude), n = floats(norms), g = floats(factors)
        for j in 0..<rows {
            let row = vp + j * columns
            n[j] = dot(row, row, columns).squareRoot()
            g[j] = m[j] / n[j]
        }
    }

    /// out[j, :] = g[j]·V[j, :] − (subtract ? out[j, :] : 0), rows of (rows, columns).
    static func scaleRows(_ out: Tensor, _ v: Tensor, by factors: Tensor, subtractingOut subtract: Bool) {
        let (rows, columns) = (v.shape[0], v.shape[1])
        let o = floats(out), vp = floats(v), g = floats(factors)
        for j in 0..<rows {
            let scale = g[j], src = vp + j * columns, dst = o + j * columns
            if subtract {
                for k in 0..<columns { dst[k] = scale * src[k] - dst[k] }
            } else {
                for k in 0..<columns { dst[k] = scale * src[k] }
            }
        }
    }

    /// out[j, :] (=|+=) s·g[j]·x[j, :] for x (rows, columns).
    static func scaleRows(_ out: Tensor, _ x: Tensor, by factors: Tensor, times s: Float, accumulate: Bool) {
        let (rows, columns) = (x.shape[0], x.shape[1])
        let o = floats(out), xp = floats(x), g = floats(factors)
        for j in 0..<rows {
            let scale = s * g[j], src = xp + j * columns, dst = o + j * columns
            if accumulate {
                for k in 0..<columns { dst[k] += scale * src[k] }
            } else {
                for k in 0..<columns { dst[k] = scale * src[k] }
            }
        }
    }

    /// dm[j] += (V[j, :] · G[j, :]) / norms[j]: the magnitude gradient from G = dyᵀ·x (rows, columns).
    static func accumulateMagnitudeGradient(_ dm: Tensor, v: Tensor, g: Tensor, norms: Tensor) {
        let (rows, columns) = (v.shape[0], v.shape[1])
        let d = floats(dm), vp = floats(v), gp = floats(g), n = floats(norms)
        for j in 0..<rows {
            d[j] += dot(vp + j * columns, gp + j * columns, columns) / n[j]
        }
    }
}
