// One block of f32 values → one ggml block, for the types runner writes. Arithmetic follows
// ggml's quantize_row_*_ref (and the gguf Python package, which reproduces it) step by step in
// f32, so the bytes are identical.
import Compute

enum GGUFQuantizeBlocks {
    @inline(__always)
    static func storeHalf(_ value: Float, _ dst: UnsafeMutableRawPointer, _ offset: Int) {
        dst.storeBytes(of: FloatConversion.floatToF16(value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// The value of largest magnitude (the first one on ties), with its sign.
    @inline(__always)
    static func signedAbsMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var best: Float = 0, bestAbs: Float = 0
        for j in 0 ..< n where abs(x[j]) > bestAbs {
            bestAbs = abs(x[j])
            best = x[j]
        }
        return best
    }

    @inline(__always)
    static func minMax(_ x: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
        var lo = x[0], hi = x[0]
        for j in 1 ..< n {
            lo = min(lo, x[j])
            hi = max(hi, x[j])
        }
        return (lo, hi)
    }

    @inline(__always)
    static func inverse(_ d: Float) -> Float { d == 0 ? 0 : 1 / d }

    /// `trunc(v)` as an unsigned code clamped to 0...maxCode (what astype(uint8).clip does for
    /// the non-negative values these formats produce).
    @inline(__always)
    static func code(_ v: Float, _ maxCode: UInt8) -> UInt8 {
        let t = v.rounded(.towardZero)
        return t <= 0 ? 0 : (t >= Float(maxCode) ? maxCode : UInt8(t))
    }

    /// Q8_0: d = amax / 127, q = round(x / d) half away from zero.
    @inline(__always)
    static func q8_0(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0 ..< 32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id = inverse(d)
        storeHalf(d, dst, 0)
        let qs = (dst + 2).assumingMemoryBound(to: Int8.self)
        for j in 0 ..< 32 { qs[j] = Int8((x[j] * id).rounded()) }
    }

    /// Q4_0: d = max / −8 (max = the signed value of largest magnitude), q = trunc(x/d + 8.5).
    @inline(__always)
    static func q4_0(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        let d = signedAbsMax(x, 32) / -8
        let id = inverse(d)
        storeHalf(d, dst, 0)
        let qs = (dst + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            qs[j] = code(x[j] * id + 8.5, 15) | code(x[j + 16] * id + 8.5, 15) << 4
        }
    }

    /// Q4_1: d = (max − min) / 15, m = min, q = trunc((x − min)/d + 0.5).
    @inline(__always)
    static func q4_1(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        let (lo, hi) = minMax(x, 32)
        let d = (hi - lo) / 15
        let id = inverse(d)
        storeHalf(d, dst, 0)
        storeHalf(lo, dst, 2)
        let qs = (dst + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            qs[j] = code((x[j] - lo) * id + 0.5, 15) | code((x[j + 16] - lo) * id + 0.5, 15) << 4
        }
    }

    /// Q5_0: d = max / −16, q = trunc(x/d + 16.5) in 0...31; fifth bits packed into a u32.
    @inline(__always)
    static func q5_0(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        let d = signedAbsMax(x, 32) / -16
        let id = inverse(d)
        storeHalf(d, dst, 0)
        var qh: UInt32 = 0
        let qs = (dst + 6).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            let lo = code(x[j] * id + 16.5, 31), hi = code(x[j + 16] * id + 16.5, 31)
            qs[j] = (lo & 0x0F) | (hi & 0x0F) << 4
            qh |= UInt32(lo >> 4) << UInt32(j) | UInt32(hi >> 4) << UInt32(j + 16)
        }
        dst.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
    }

    /// Q5_1: d = (max − min) / 31, m = min, q = trunc((x − min)/d + 0.5) in 0...31.
    @inline(__always)
    static func q5_1(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        let (lo, hi) = minMax(x, 32)
        let d = (hi - lo) / 31
        let id = inverse(d)
        storeHalf(d, dst, 0)
        storeHalf(lo, dst, 2)
        var qh: UInt32 = 0
        let qs = (dst + 8).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            let a = code((x[j] - lo) * id + 0.5, 31), b = code((x[j + 16] - lo) * id + 0.5, 31)
            qs[j] = (a & 0x0F) | (b & 0x0F) << 4
            qh |= UInt32(a >> 4) << UInt32(j) | UInt32(b >> 4) << UInt32(j + 16)
        }
        dst.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
    }
}
