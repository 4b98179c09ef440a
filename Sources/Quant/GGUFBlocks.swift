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

    /// Q2_K (84 bytes / 256 values): 16 bytes of 4-bit scale|min pairs (one per 16 values), 64
    /// bytes of 2-bit codes, f16 d, f16 dmin; value = d·scale·q − dmin·min.
    @inline(__always)
    static func q2_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let scales = src.assumingMemoryBound(to: UInt8.self)
        let qs = src.advanced(by: 16).assumingMemoryBound(to: UInt8.self)
        let d = half(src, 80), dmin = half(src, 82)
        for group in 0 ..< 16 {  // 16 values each: half h, shift s, 16-byte run r
            let dl = d * Float(scales[group] & 0x0F), ml = dmin * Float(scales[group] >> 4)
            let h = group / 8, s = (group / 2) % 4, r = group % 2
            let q = qs + 32 * h + 16 * r
            let y = dst + 16 * group
            let shift = UInt8(2 * s)
            for l in 0 ..< 16 { y[l] = dl * Float((q[l] >> shift) & 3) - ml }
        }
    }

    /// Q3_K (110 bytes / 256 values): 32 bytes of high-bit masks, 64 bytes of 2-bit codes, 12
    /// bytes of packed 6-bit scales (offset 32), f16 d; value = d·(scale − 32)·(q − (high ? 0 : 4)).
    @inline(__always)
    static func q3_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let hmask = src.assumingMemoryBound(to: UInt8.self)
        let qs = src.advanced(by: 32).assumingMemoryBound(to: UInt8.self)
        let packed = src.advanced(by: 96).assumingMemoryBound(to: UInt8.self)
        let d = half(src, 108)
        for group in 0 ..< 16 {
            let low = group < 8 ? packed[group] & 0x0F : packed[group - 8] >> 4
            let high = (packed[8 + group % 4] >> UInt8(2 * (group / 4))) & 3
            let dl = d * Float(Int32(low | high << 4) - 32)
            let first = 16 * group  // value index of the group's first element
            let b = first / 32  // which 32-value run: selects the shift and the mask bit
            let h = b / 4, shift = UInt8(2 * (b % 4))
            for l in 0 ..< 16 {
                let byte = first % 32 + l
                let q = Int32((qs[32 * h + byte] >> shift) & 3) - ((hmask[byte] >> UInt8(b)) & 1 == 0 ? 4 : 0)
                dst[first + l] = dl * Float(q)
            }
        }
    }

    /// The 16 non-linear levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl).
    static let iq4Levels: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// IQ4_NL (18 bytes / 32 values): f16 d, 16 bytes of nibbles indexing `iq4Levels`;
    /// value = d·level[q].
    @inline(__always)
    static func iq4_nl(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qs = src.advanced(by: 2).assumingMemoryBound(to: UInt8.self)
        iq4Levels.withUnsafeBufferPointer { levels in
            for j in 0 ..< 16 {
                dst[j] = d * levels[Int(qs[j] & 0x0F)]
                dst[j + 16] = d * levels[Int(qs[j] >> 4)]
            }
        }
    }

    /// IQ4_XS (136 bytes / 256 values): f16 d, u16 of 2-bit scale highs, 4 bytes of 4-bit scale
    /// lows, 128 bytes of nibbles. Eight sub-blocks of 32; value = d·(scale − 32)·level[q].
    @inline(__always)
    static func iq4_xs(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let scalesHigh = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let scalesLow = src.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
        let qs = src.advanced(by: 8).assumingMemoryBound(to: UInt8.self)
        iq4Levels.withUnsafeBufferPointer { levels in
            for sub in 0 ..< 8 {
                let low = (scalesLow[sub / 2] >> UInt8(4 * (sub % 2))) & 0x0F
                let high = UInt8(truncatingIfNeeded: scalesHigh >> UInt16(2 * sub)) & 3
                let dl = d * Float(Int32(low | high << 4) - 32)
                let q = qs + 16 * sub
                let y = dst + 32 * sub
                for j in 0 ..< 16 {
                    y[j] = dl * levels[Int(q[j] & 0x0F)]
                    y[j + 16] = dl * levels[Int(q[j] >> 4)]
                }
            }
        }
    }
}
