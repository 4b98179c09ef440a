// exp over 16 f32 lanes in plain Swift SIMD (the package compiles for baseline x86-64, so libm's
// scalar `expf` was a call per element: ≈ 300 M a training step). Cephes-style: x = n·ln2 + r,
// |r| ≤ ln2/2, a degree-6 polynomial for e^r, then ·2ⁿ by exponent bits. Within 2 ulp of `expf`.
// On AVX-512 CPUs the row loop runs CKernels' operation-for-operation twin (Vector512.swift).
import CKernels

/// e^x for every lane: +inf above ≈ 88.72, 0 below ≈ −103.97 (subnormal results in between are
/// rounded once, like `expf`'s), NaN stays NaN, exp(−inf) = 0, exp(+inf) = +inf.
@inline(__always)
func expLanes(_ input: Lanes) -> Lanes {
    // Outside [−104, 89] the result is 0 or inf anyway; clamping keeps 2ⁿ's exponent in range.
    let x = input.replacing(with: -104, where: input .< -104).replacing(with: 89, where: input .> 89)
    // n = round(x / ln2) by the 1.5·2²³ trick (round to nearest even; no SSE4.1 `roundps` needed).
    let magic = Lanes(repeating: 12_582_912)
    let shifted = x * 1.442_695_040_888_963_4 + magic
    let n = shifted - magic
    let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    // r = x − n·ln2, with ln2 split in two so that n·ln2_hi is exact.
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_400_546_905_8e-4
    var p = Lanes(repeating: 1.987_569_150_0e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * (r * r) + r + 1
    // y · 2ⁿ as y · 2^(n/2) · 2^(n − n/2): both factors are normal floats for n ∈ [−150, 128], and
    // only the last product rounds, so subnormal results are rounded once.
    let half = nBits &>> 1
    let first = unsafeBitCast((half &+ 127) &<< 23, to: Lanes.self)
    let second = unsafeBitCast((nBits &- half &+ 127) &<< 23, to: Lanes.self)
    let result = y * first * second
    return result.replacing(with: input, where: input .!= input)   // NaN in, NaN out
}

/// out[i] = exp(x[i] − shift) for n values (out may alias x); returns Σ out[i].
@inline(__always)
func expShifted(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, shift: Float, _ n: Int) -> Float {
    var sum = Lanes()
    var i = 0
    if Vector512.enabled && n >= 16 {
        // The same 16-lane blocks and per-lane sums on AVX-512 (bit-identical); the tail stays here.
        i = n / 16 * 16
        withUnsafeMutableBytes(of: &sum) { runner_exp_shifted(x, out, shift, i, $0.baseAddress!.assumingMemoryBound(to: Float.self)) }
    }
    let s = Lanes(repeating: shift)
    while i + 16 <= n {
        let e = expLanes(loadLanes(x + i) - s)
        storeLanes(e, out + i)
        sum += e
        i += 16
    }
    var total = sum.sum()
    if i < n {
        var tail = Lanes(repeating: -.infinity)
        for j in i..<n { tail[j - i] = x[j] - shift }
        let e = expLanes(tail)
        for j in i..<n {
            out[j] = e[j - i]
            total += e[j - i]
        }
    }
    return total
}

/// The largest of n values (−inf for none).
@inline(__always)
func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var best = Lanes(repeating: -.infinity)
    var i = 0
    if Vector512.enabled && n >= 16 {
        i = n / 16 * 16
        withUnsafeMutableBytes(of: &best) { runner_lane_maximum(x, i, $0.baseAddress!.assumingMemoryBound(to: Float.self)) }
    }
    while i + 16 <= n {
        let v = loadLanes(x + i)
        best = best.replacing(with: v, where: v .> best)
        i += 16
    }
    var result = best.max()
    while i < n {
        result = max(result, x[i])
        i += 1
    }
    return result
}

/// The CPU backend's vectorized math, exposed for tests and benchmarks.
public enum VectorMath {
    /// e^x of every value, as the backend's softmax, SwiGLU and loss kernels compute it.
    public static func exp(_ values: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                var i = 0
                while i < values.count {
                    var lanes = Lanes()
                    let count = min(16, values.count - i)
                    for j in 0..<count { lanes[j] = x[i + j] }
                    let e = expLanes(lanes)
                    for j in 0..<count { o[i + j] = e[j] }
                    i += 16
                }
            }
        }
        return out
    }
}
