// Small SIMD building blocks over raw f32 pointers: dot product, y += a·x, scaling.
// 16 lanes at a time with a scalar tail; every kernel in this module is built from these.
// `scaleInPlace` (with exp rows and `maximum`) runs on AVX-512 where the CPU has it (Vector512.swift).
import CKernels

typealias Lanes = SIMD16<Float>

@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// Σ a[i]·b[i], accumulated in f32.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Lanes()
    var i = 0
    while i + 16 <= n {
        acc += loadLanes(a + i) * loadLanes(b + i)
        i += 16
    }
    var sum = acc.sum()
    while i < n {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

/// y[i] += alpha · x[i].
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let a = Lanes(repeating: alpha)
    var i = 0
    while i + 16 <= n {
        storeLanes(loadLanes(y + i) + a * loadLanes(x + i), y + i)
        i += 16
    }
    while i < n {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// y[i] = alpha · y[i].
@inline(__always)
func scaleInPlace(_ y: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
    let a = Lanes(repeating: alpha)
    var i = 0
    if Vector512.enabled && n >= 16 {
        i = n / 16 * 16
        runner_scale(y, alpha, i)
    }
    while i + 16 <= n {
        storeLanes(loadLanes(y + i) * a, y + i)
        i += 16
    }
    while i < n {
        y[i] *= alpha
        i += 1
    }
}

/// Σ x[i]².
@inline(__always)
func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    dot(x, x, n)
}

/// Converts `n` bf16 or f16 values to f32.
@inline(__always)
func widen(_ src: UnsafeRawPointer, dtype: DType16, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    let p = src.assumingMemoryBound(to: UInt16.self)
    switch dtype {
    case .bf16:
        var i = 0
        while i + 16 <= n {
            let bits = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<UInt16>.self)
            let wide = SIMD16<UInt32>(truncatingIfNeeded: bits) &<< 16
            UnsafeMutableRawPointer(dst + i).storeBytes(of: wide, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < n {
            dst[i] = Float(bitPattern: UInt32(p[i]) << 16)
            i += 1
        }
    case .f16:
        for i in 0..<n { dst[i] = Float(Float16(bitPattern: p[i])) }
    }
}

/// The 16-bit float storage types the CPU backend widens on the fly.
enum DType16 { case bf16, f16 }
