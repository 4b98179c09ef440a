// K-quant block quantizers (Q4_K, Q5_K, Q6_K): one 256-value super-block of f32 → one ggml block,
// in ggml's layouts. The scale searches follow ggml's reference quantizers (quantize_row_q*_K_ref,
// no importance matrix): a weighted least-squares fit per sub-block, then 6- or 8-bit sub-scales.
import Compute

enum GGUFQuantizeKBlocks {
    /// Values per super-block (ggml's QK_K).
    static let superBlock = 256
    /// Below this, a group counts as all zeros (ggml's GROUP_MAX_EPS).
    static let groupMaxEpsilon: Float = 1e-15

    /// Round half to even (ggml's nearest_int), clamped to lo...hi; NaN gives `lo`.
    @inline(__always)
    static func nearest(_ x: Float, _ lo: Int32, _ hi: Int32) -> Int32 {
        let r = x.rounded(.toNearestOrEven)
        if r >= Float(hi) { return hi }
        if r > Float(lo) { return Int32(r) }
        return lo
    }

    /// `value` as it reads back from an f16 field.
    @inline(__always)
    static func asHalf(_ value: Float) -> Float { FloatConversion.f16ToFloat(FloatConversion.floatToF16(value)) }

    /// Fits x ≈ scale·L − offset with codes L in 0...maxCode and offset ≥ 0 (ggml's make_qkx2_quants,
    /// squared error): start from the min–max grid, then try `steps + 1` grid widths around it, refit
    /// scale and offset by weighted least squares for each, and keep the lowest weighted error.
    /// Writes the chosen codes to `codes`; `scratch` holds `count` bytes.
    static func fitWithOffset(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, count n: Int, maxCode: Int32,
                              rmin: Float, rdelta: Float, steps: Int,
                              codes: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>) -> (scale: Float, offset: Float) {
        var lo = x[0], hi = x[0]
        var sumW = weights[0], sumX = weights[0] * x[0]
        for i in 1 ..< n {
            lo = min(lo, x[i])
            hi = max(hi, x[i])
            sumW += weights[i]
            sumX += weights[i] * x[i]
        }
        if lo > 0 { lo = 0 }
        if hi == lo {
            for i in 0 ..< n { codes[i] = 0 }
            return (0, -lo)
        }
        let nmax = Float(maxCode)
        var inverse = nmax / (hi - lo)
        var scale = 1 / inverse
        var bestError: Float = 0
        for i in 0 ..< n {
            let l = nearest(inverse * (x[i] - lo), 0, maxCode)
            codes[i] = UInt8(l)
            let diff = scale * Float(l) + lo - x[i]
            bestError += weights[i] * diff * diff
        }
        var offset = lo
        for step in 0 ... steps {
            inverse = (rmin + rdelta * Float(step) + nmax) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0 ..< n {
                let l = nearest(inverse * (x[i] - lo), 0, maxCode)
                scratch[i] = UInt8(l)
                let w = weights[i], fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let det = sumW * sumL2 - sumL * sumL
            guard det > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / det
            var thisMin = (sumL2 * sumX - sumL * sumXL) / det
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0 ..< n {
                let diff = thisScale * Float(scratch[i]) + thisMin - x[i]
                error += weights[i] * diff * diff
            }
            if error < bestError {
                for i in 0 ..< n { codes[i] = scratch[i] }
                bestError = error
                scale = thisScale
                offset = thisMin
            }
        }
        return (scale, -offset)
    }

    /// Fits x ≈ scale·(L − maxCode) with L in 0..<2·maxCode, weighting each value by x² (ggml's
    /// make_qx_quants, rmse_type 1): the grid through the largest-magnitude value, then 18 grid
    /// widths around it, keeping the least-squares scale that explains the most. Writes codes.
    static func fitSymmetric(_ x: UnsafePointer<Float>, count n: Int, maxCode nmax: Int32,
                             codes: UnsafeMutablePointer<UInt8>) -> Float {
        let extreme = GGUFQuantizeBlocks.signedAbsMax(x, n)
        if abs(extreme) < groupMaxEpsilon {
            for i in 0 ..< n { codes[i] = 0 }
            return 0
        }
        @inline(__always) func sums(_ inverse: Float) -> (Float, Float) {
            var sumLX: Float = 0, sumL2: Float = 0
            for i in 0 ..< n {
                let l = Float(nearest(inverse * x[i], -nmax, nmax - 1))
                let w = x[i] * x[i]
                sumLX += w * x[i] * l
                sumL2 += w * l * l
            }
            return (sumLX, sumL2)
        }
        @inline(__always) func writeCodes(_ inverse: Float) {
            for i in 0 ..< n { codes[i] = UInt8(nearest(inverse * x[i], -nmax, nmax - 1) + nmax) }
        }
        var inverse = -Float(nmax) / extreme
        writeCodes(inverse)
        var (sumLX, sumL2) = sums(inverse)
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9 ... 9 where step != 0 {
            inverse = -(Float(nmax) + 0.1 * Float(step)) / extreme
            (sumLX, sumL2) = sums(inverse)
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                writeCodes(inverse)
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// Packs eight 6-bit scales and mins into Q4_K/Q5_K's 12 bytes (the inverse of
    /// `GGUFBlocks.scaleMinK4`): sub-blocks 0–3 in the low 6 bits of bytes 0–3 / 4–7, sub-blocks 4–7
    /// as nibbles in bytes 8–11 with their top 2 bits in the high bits of bytes 0–7.
    @inline(__always)
    static func packScalesAndMins(_ scales: UnsafePointer<UInt8>, _ mins: UnsafePointer<UInt8>, into q: UnsafeMutablePointer<UInt8>) {
        for j in 0 ..< 12 { q[j] = 0 }
        for j in 0 ..< 8 {
            let ls = scales[j], lm = mins[j]
            if j < 4 {
                q[j] = ls
                q[j + 4] = lm
            } else {
                q[j + 4] = (ls & 0x0F) | (lm & 0x0F) << 4
                q[j - 4] |= (ls >> 4) << 6
                q[j] |= (lm >> 4) << 6
            }
        }
    }

    /// Q4_K / Q5_K shared part: fits the eight 32-value sub-blocks, writes f16 d and dmin and the
    /// packed scales (bytes 0..<16 of the block) and leaves the final codes (0...maxCode) in `codes`.
    @inline(__always)
    static func fitScaleMinBlock(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, maxCode: Int32,
                                 rmin: Float, rdelta: Float, steps: Int, codes: UnsafeMutablePointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 + 8) { floats in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32 + 8 + 8) { bytes in
                let weights = floats.baseAddress!, scales = weights + 32, mins = weights + 40
                let scratch = bytes.baseAddress!, scaleCodes = scratch + 32, minCodes = scratch + 40
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0 ..< 8 {
                    let sub = x + 32 * j
                    var sumX2: Float = 0
                    for l in 0 ..< 32 { sumX2 += sub[l] * sub[l] }
                    let average = (sumX2 / 32).squareRoot()
                    for l in 0 ..< 32 { weights[l] = average + abs(sub[l]) }
                    (scales[j], mins[j]) = fitWithOffset(sub, weights: weights, count: 32, maxCode: maxCode,
                                                         rmin: rmin, rdelta: rdelta, steps: steps,
                                                         codes: codes + 32 * j, scratch: scratch)
                    if scales[j] > maxScale { maxScale = scales[j] }  // (comparisons, not max(): a −0 offset must not become the maximum)
                    if mins[j] > maxMin { maxMin = mins[j] }
                }
                let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
                let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
                for j in 0 ..< 8 {
                    scaleCodes[j] = UInt8(nearest(inverseScale * scales[j], 0, 63))
                    minCodes[j] = UInt8(nearest(inverseMin * mins[j], 0, 63))
                }
                let packed = (dst + 4).assumingMemoryBound(to: UInt8.self)
                packScalesAndMins(scaleCodes, minCodes, into: packed)
                GGUFQuantizeBlocks.storeHalf(maxScale / 63, dst, 0)
                GGUFQuantizeBlocks.storeHalf(maxMin / 63, dst, 2)
                // Requantize against the scales as stored (f16 d/dmin times the 6-bit codes).
                let d = asHalf(maxScale / 63), dmin = asHalf(maxMin / 63)
                for j in 0 ..< 8 {
                    let (sc, m) = GGUFBlocks.scaleMinK4(j, packed)
                    let step = d * Float(sc)
                    if step == 0 { continue }
                    let offset = dmin * Float(m)
                    for l in 0 ..< 32 { codes[32 * j + l] = UInt8(nearest((x[32 * j + l] + offset) / step, 0, maxCode)) }
                }
            }
        }
    }

    /// Q4_K (144 bytes / 256 values): f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of
    /// nibbles (each 64-value chunk: 32 bytes, low nibbles its first 32 values, high nibbles the rest).
    static func q4_K(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: superBlock) { buffer in
            let codes = buffer.baseAddress!
            fitScaleMinBlock(x, dst, maxCode: 15, rmin: -1, rdelta: 0.1, steps: 20, codes: codes)
            let qs = (dst + 16).assumingMemoryBound(to: UInt8.self)
            for chunk in 0 ..< 4 {
                for l in 0 ..< 32 { qs[32 * chunk + l] = codes[64 * chunk + l] | codes[64 * chunk + 32 + l] << 4 }
            }
        }
    }

    /// Q5_K (176 bytes / 256 values): as Q4_K, plus 32 bytes of fifth bits after the scales: bit 2c of
    /// qh[l] is value 64c + l's, bit 2c + 1 value 64c + 32 + l's.
    static func q5_K(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: superBlock) { buffer in
            let codes = buffer.baseAddress!
            fitScaleMinBlock(x, dst, maxCode: 31, rmin: -0.5, rdelta: 0.1, steps: 15, codes: codes)
            let qh = (dst + 16).assumingMemoryBound(to: UInt8.self)
            let qs = (dst + 48).assumingMemoryBound(to: UInt8.self)
            for l in 0 ..< 32 { qh[l] = 0 }
            for chunk in 0 ..< 4 {
                for l in 0 ..< 32 {
                    let a = codes[64 * chunk + l], b = codes[64 * chunk + 32 + l]
                    qs[32 * chunk + l] = (a & 0x0F) | (b & 0x0F) << 4
                    qh[l] |= (a >> 4) << UInt8(2 * chunk) | (b >> 4) << UInt8(2 * chunk + 1)
                }
            }
        }
    }

    /// Q6_K (210 bytes / 256 values): 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed
    /// 8-bit scales (one per 16 values), f16 d; value = d·scale·(q − 32).
    static func q6_K(_ x: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: superBlock) { buffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scaleBuffer in
                let codes = buffer.baseAddress!, scales = scaleBuffer.baseAddress!
                var maxScale: Float = 0, maxAbsScale: Float = 0
                for group in 0 ..< 16 {
                    scales[group] = fitSymmetric(x + 16 * group, count: 16, maxCode: 32, codes: codes + 16 * group)
                    if abs(scales[group]) > maxAbsScale {
                        maxAbsScale = abs(scales[group])
                        maxScale = scales[group]
                    }
                }
                let bytes = dst.assumingMemoryBound(to: UInt8.self)
                if maxAbsScale < groupMaxEpsilon {
                    for i in 0 ..< 210 { bytes[i] = 0 }
                    return
                }
                let inverse = -128 / maxScale
                GGUFQuantizeBlocks.storeHalf(1 / inverse, dst, 208)
                let d = asHalf(1 / inverse)
                let sc = (dst + 192).assumingMemoryBound(to: Int8.self)
                for group in 0 ..< 16 {
                    sc[group] = Int8(nearest(inverse * scales[group], -128, 127))
                    let step = d * Float(sc[group])
                    if step == 0 { continue }
                    for l in 0 ..< 16 {
                        codes[16 * group + l] = UInt8(nearest(x[16 * group + l] / step, -32, 31) + 32)
                    }
                }
                for half in 0 ..< 2 {  // 128 values per half: 64 bytes of ql, 32 of qh
                    let ql = bytes + 64 * half, qh = bytes + 128 + 32 * half
                    let c = codes + 128 * half
                    for l in 0 ..< 32 {
                        ql[l] = (c[l] & 0x0F) | (c[l + 64] & 0x0F) << 4
                        ql[l + 32] = (c[l + 32] & 0x0F) | (c[l + 96] & 0x0F) << 4
                        qh[l] = c[l] >> 4 | (c[l + 32] >> 4) << 2 | (c[l + 64] >> 4) << 4 | (c[l + 96] >> 4) << 6
                    }
                }
            }
        }
    }
}
