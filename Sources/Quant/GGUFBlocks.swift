// One ggml block → Float values, for every block type runner reads. Layouts and arithmetic follow
// ggml-quants.c (dequantize_row_*) exactly, in the same operation order, so results are bit-exact
// with ggml and with the gguf Python package.
import Compute

/// Per-block dequantizers. `src` points at one block (`GGMLType.typeSize` bytes, any alignment),
/// `dst` at `GGMLType.blockSize` floats.
enum GGUFBlocks {
    @inline(__always)
    static func half(_ src: UnsafeRawPointer, _ offset: Int) -> Float {
        FloatConversion.f16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Q4_0 (18 bytes / 32 values): f16 d, then 16 bytes of nibbles; low nibbles are values 0–15,
    /// high nibbles values 16–31; value = (q − 8)·d.
    @inline(__always)
    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qs = src.advanced(by: 2).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            dst[j] = Float(Int32(qs[j] & 0x0F) - 8) * d
            dst[j + 16] = Float(Int32(qs[j] >> 4) - 8) * d
        }
    }

    /// Q4_1 (20 bytes / 32 values): f16 d, f16 m, 16 bytes of nibbles; value = q·d + m.
    @inline(__always)
    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), m = half(src, 2)
        let qs = src.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            dst[j] = Float(qs[j] & 0x0F) * d + m
            dst[j + 16] = Float(qs[j] >> 4) * d + m
        }
    }

    /// Q5_0 (22 bytes / 32 values): f16 d, u32 of fifth bits (bit j for value j), 16 bytes of
    /// nibbles; value = (q − 16)·d.
    @inline(__always)
    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qh = UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let qs = src.advanced(by: 6).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            let lo = Int32(qs[j] & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4
            let hi = Int32(qs[j] >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
            dst[j] = Float(lo - 16) * d
            dst[j + 16] = Float(hi - 16) * d
        }
    }

    /// Q5_1 (24 bytes / 32 values): f16 d, f16 m, u32 of fifth bits, 16 bytes of nibbles;
    /// value = q·d + m.
    @inline(__always)
    static func q5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), m = half(src, 2)
        let qh = UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let qs = src.advanced(by: 8).assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< 16 {
            let lo = UInt32(qs[j] & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(qs[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
            dst[j] = Float(lo) * d + m
            dst[j + 16] = Float(hi) * d + m
        }
    }

    /// Q8_0 (34 bytes / 32 values): f16 d, 32 signed bytes; value = q·d.
    @inline(__always)
    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qs = src.advanced(by: 2).assumingMemoryBound(to: Int8.self)
        for j in 0 ..< 32 { dst[j] = Float(qs[j]) * d }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes of Q4_K/Q5_K
    /// (ggml's get_scale_min_k4).
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (q[j] & 63, q[j + 4] & 63)
        }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// Q4_K (144 bytes / 256 values): f16 d, f16 dmin, 12 bytes of packed 6-bit scales/mins, 128
    /// bytes of nibbles. Eight sub-blocks of 32; value = d·scale·q − dmin·min.
    @inline(__always)
    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), dmin = half(src, 2)
        let scales = src.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
        let qs = src.advanced(by: 16).assumingMemoryBound(to: UInt8.self)
        for chunk in 0 ..< 4 {  // 64 values per chunk: low nibbles then high nibbles of 32 bytes
            let (sc1, m1) = scaleMinK4(2 * chunk, scales)
            let (sc2, m2) = scaleMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let q = qs + 32 * chunk
            let y = dst + 64 * chunk
            for l in 0 ..< 32 {
                y[l] = d1 * Float(q[l] & 0x0F) - min1
                y[l + 32] = d2 * Float(q[l] >> 4) - min2
            }
        }
    }

    /// Q5_K (176 bytes / 256 values): as Q4_K plus 32 bytes of fifth bits (bit i of qh[l] belongs
    /// to sub-block i) between the scales and the nibbles.
    @inline(__always)
    static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), dmin = half(src, 2)
        let scales = src.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
        let qh = src.advanced(by: 16).assumingMemoryBound(to: UInt8.self)
        let qs = src.advanced(by: 48).assumingMemoryBound(to: UInt8.self)
        for chunk in 0 ..< 4 {
            let (sc1, m1) = scaleMinK4(2 * chunk, scales)
            let (sc2, m2) = scaleMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let q = qs + 32 * chunk
            let y = dst + 64 * chunk
            let bit1 = UInt8(2 * chunk), bit2 = UInt8(2 * chunk + 1)
            for l in 0 ..< 32 {
                let lo = (q[l] & 0x0F) | (((qh[l] >> bit1) & 1) << 4)
                let hi = (q[l] >> 4) | (((qh[l] >> bit2) & 1) << 4)
                y[l] = d1 * Float(lo) - min1
                y[l + 32] = d2 * Float(hi) - min2
            }
        }
    }

    /// Q6_K (210 bytes / 256 values): 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed
    /// 8-bit scales (one per 16 values), f16 d; value = d·scale·(q − 32).
    @inline(__always)
    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 208)
        for half in 0 ..< 2 {  // 128 values per half
            let ql = src.advanced(by: 64 * half).assumingMemoryBound(to: UInt8.self)
            let qh = src.advanced(by: 128 + 32 * half).assumingMemoryBound(to: UInt8.self)
            let sc = src.advanced(by: 192 + 8 * half).assumingMemoryBound(to: Int8.self)
            let y = dst + 128 * half
            for l in 0 ..< 32 {
                let s = l / 16
                let q1 = Int32((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32
                let q2 = Int32((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32
                let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                y[l] = d * Float(sc[s]) * Float(q1)
                y[l + 32] = d * Float(sc[s + 2]) * Float(q2)
                y[l + 64] = d * Float(sc[s + 4]) * Float(q3)
                y[l + 96] = d * Float(sc[s + 6]) * Float(q4)
            }
        }
    }
}
