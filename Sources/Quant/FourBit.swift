// 4-bit blockwise quantization, NF4 and FP4 (bitsandbytes `quantize_4bit` / `dequantize_4bit`):
// per block, absmax scaling and the nearest of 16 codes; two codes per byte, FIRST in the HIGH nibble.
// Blocks run over the flattened tensor; a last partial block and an odd count are handled as bnb does.
import Basics
import Compute

/// Packed 4-bit codes and plain (f32) absmax of a flattened tensor.
public struct FourBitQuantized: Sendable, Equatable {
    /// (ceil(count / 2),) bytes; element 2i in the high nibble of byte i, 2i+1 in the low nibble.
    public var packed: [UInt8]
    /// (ceil(count / blockSize),) per-block scale.
    public var absmax: [Float]
}

/// 4-bit quantization and dequantization, bit-exact with bitsandbytes' CPU path.
public enum FourBit {
    /// Block sizes bitsandbytes accepts.
    public static let validBlockSizes = [32, 64, 128, 256, 512, 1024, 2048, 4096]

    /// Throws unless `blockSize` is one of `validBlockSizes`.
    public static func checkBlockSize(_ blockSize: Int) throws {
        guard validBlockSizes.contains(blockSize) else {
            throw RunnerError("4-bit quantization", "invalid block size \(blockSize)",
                              hint: "use one of \(validBlockSizes.map(String.init).joined(separator: ", ")) (default 64)")
        }
    }

    /// Quantizes `input` (flattened) in blocks of `blockSize`.
    ///
    /// Contract (bitsandbytes' PyTorch quantizer, which its CPU backend uses): a full block is
    /// scaled by `x * (1 / max(absmax, 1e-38))` and keeps its unclamped absmax; the last partial block
    /// is scaled by `x / max(absmax, 1e-38)` and stores the clamped value. Scaled values are clamped
    /// to [-1, 1] and take the code of the first midpoint ≥ them (ties go to the lower code value);
    /// an odd count is padded with one 0. Throws on NaN or infinity, naming the element.
    public static func quantize(_ input: QuantInput, type: FourBitType, blockSize: Int = 64) throws -> FourBitQuantized {
        try checkBlockSize(blockSize)
        let n = input.count
        guard n > 0 else { throw RunnerError("4-bit quantization", "nothing to quantize (0 elements)") }
        let table = FourBitTable.of(type)
        let midpoints = table.midpoints, nibbleOfRank = table.nibbleOfRank
        var packed = [UInt8](repeating: 0, count: (n + 1) / 2)
        var absmax = [Float](repeating: 0, count: (n + blockSize - 1) / blockSize)
        let tiny = Float(1e-38)  // torch's clamp(min=1e-38), a float32 subnormal
        try withScratch(blockSize) { block in
            var start = 0, b = 0
            while start < n {
                let length = min(blockSize, n - start)
                input.load(start..<(start + length), into: block)
                var maximum: Float = 0
                for i in 0..<length {
                    let a = abs(block[i])
                    guard a.isFinite else {
                        throw RunnerError("4-bit quantization", "element \(start + i) is \(block[i])",
                                          hint: "weights must be finite; check the checkpoint for NaN or inf")
                    }
                    if a > maximum { maximum = a }
                }
                if length == blockSize {
                    absmax[b] = maximum
                    let inverse = 1 / max(maximum, tiny)
                    for i in 0..<length { block[i] = min(max(block[i] * inverse, -1), 1) }
                } else {
                    let scale = max(maximum, tiny)
                    absmax[b] = scale
                    for i in 0..<length { block[i] = min(max(block[i] / scale, -1), 1) }
                }
                // Block sizes are even, so pairs never straddle two blocks.
                packed.withUnsafeMutableBufferPointer { bytes in
                    var i = 0
                    while i < length {
                        let high = FourBitTable.nibble(of: block[i], midpoints, nibbleOfRank)
                        let low = FourBitTable.nibble(of: i + 1 < length ? block[i + 1] : 0, midpoints, nibbleOfRank)
                        bytes[(start + i) >> 1] = high << 4 | low
                        i += 2
                    }
                }
                start += length
                b += 1
            }
        }
        return FourBitQuantized(packed: packed, absmax: absmax)
    }

    /// Dequantizes elements `range` of a flattened 4-bit tensor: `code[nibble] * scales[i / blockSize]`
    /// in f32, rounded to the output type. `out` receives `range.count` elements starting at index 0.
    ///
    /// This is the fused "dequantize a slice" step of a 4-bit matmul: any element range works (rows
    /// need not align with blocks or bytes). `scales` are the per-block absmax (already
    /// un-nested). Throws if buffers are too small.
    public static func dequantize(packed: UnsafeBufferPointer<UInt8>, scales: UnsafeBufferPointer<Float>,
                                  type: FourBitType, blockSize: Int, range: Range<Int>, into out: QuantOutput) throws {
        try checkBlockSize(blockSize)
        guard range.lowerBound >= 0, (range.upperBound + 1) / 2 <= packed.count else {
            throw RunnerError("4-bit dequantization", "element range \(range) exceeds the \(packed.count * 2) packed elements")
        }
        guard (range.upperBound + blockSize - 1) / blockSize <= scales.count else {
            throw RunnerError("4-bit dequantization", "element range \(range) needs \((range.upperBound + blockSize - 1) / blockSize) block scales, got \(scales.count)")
        }
        guard out.count >= range.count else {
            throw RunnerError("4-bit dequantization", "output holds \(out.count) elements, range \(range) needs \(range.count)")
        }
        if range.isEmpty { return }
        let pairs = FourBitTable.of(type).pairs
        pairs.withUnsafeBufferPointer { pairs in
            switch out {
            case .f32(let direct):
                decode(packed, scales, pairs, blockSize, range, direct.baseAddress!)
                return
            case .bf16(let direct):
                decodeBF16(packed, scales, pairs, blockSize, range, direct.baseAddress!)
                return
            case .f16:
                break
            }
            // f16: decode a block-sized chunk to f32, then round.
            withScratch(blockSize) { chunk in
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(range.upperBound, (start / blockSize + 1) * blockSize)
                    decode(packed, scales, pairs, blockSize, start..<end, chunk)
                    out.store(chunk, count: end - start, at: start - range.lowerBound)
                    start = end
                }
            }
        }
    }

    /// The inner loop: block by block, one table load gives both values of a byte.
    @inline(__always)
    private static func decode(_ packed: UnsafeBufferPointer<UInt8>, _ scales: UnsafeBufferPointer<Float>,
                               _ pairs: UnsafeBufferPointer<SIMD2<Float>>, _ blockSize: Int,
                               _ range: Range<Int>, _ out: UnsafeMutablePointer<Float>) {
        let bytes = packed.baseAddress!
        var i = range.lowerBound
        var o = out
        while i < range.upperBound {
            let blockEnd = min(range.upperBound, (i / blockSize + 1) * blockSize)
            let scale = scales[i / blockSize]
            if i & 1 == 1 {  // odd start: the low nibble of a byte
                o.pointee = pairs[Int(bytes[i >> 1])].y * scale
                o += 1; i += 1
            }
            let pairCount = (blockEnd - i) >> 1
            let splat = SIMD2<Float>(repeating: scale)
            let source = bytes + (i >> 1)
            let destination = UnsafeMutableRawPointer(o)  // f32 output need not be 8-byte aligned
            for p in 0..<pairCount {
                destination.storeBytes(of: pairs[Int(source[p])] * splat, toByteOffset: p &* 8, as: SIMD2<Float>.self)
            }
            o += pairCount * 2; i += pairCount * 2
            if i < blockEnd {  // odd end: the high nibble of a byte
                o.pointee = pairs[Int(bytes[i >> 1])].x * scale
                o += 1; i += 1
            }
        }
    }
}

extension FourBit {
    /// `decode` with bf16 output, rounding to nearest even in SIMD lanes (4 bytes → 8 values).
    @inline(__always)
    fileprivate static func decodeBF16(_ packed: UnsafeBufferPointer<UInt8>, _ scales: UnsafeBufferPointer<Float>,
                                       _ pairs: UnsafeBufferPointer<SIMD2<Float>>, _ blockSize: Int,
                                       _ range: Range<Int>, _ out: UnsafeMutablePointer<UInt16>) {
        let bytes = packed.baseAddress!
        var i = range.lowerBound
        var o = out
        while i < range.upperBound {
            let blockEnd = min(range.upperBound, (i / blockSize + 1) * blockSize)
            let scale = scales[i / blockSize]
            if scale.isNaN {  // keep torch's NaN handling: the scalar conversion
                while i < blockEnd {
                    let pair = pairs[Int(bytes[i >> 1])]
                    o.pointee = FloatConversion.floatToBF16((i & 1 == 0 ? pair.x : pair.y) * scale)
                    o += 1; i += 1
                }
                continue
            }
            if i & 1 == 1 {
                o.pointee = FloatConversion.floatToBF16(pairs[Int(bytes[i >> 1])].y * scale)
                o += 1; i += 1
            }
            let splat = SIMD8<Float>(repeating: scale)
            let destination = UnsafeMutableRawPointer(o)
            var source = bytes + (i >> 1)
            let quads = (blockEnd - i) >> 3
            for q in 0..<quads {
                let v = SIMD8<Float>(
                    lowHalf: SIMD4(lowHalf: pairs[Int(source[0])], highHalf: pairs[Int(source[1])]),
                    highHalf: SIMD4(lowHalf: pairs[Int(source[2])], highHalf: pairs[Int(source[3])])) * splat
                destination.storeBytes(of: roundToBF16(v), toByteOffset: q &* 16, as: SIMD8<UInt16>.self)
                source += 4
            }
            o += quads * 8; i += quads * 8
            while i + 1 < blockEnd {
                let v = pairs[Int(bytes[i >> 1])] * scale
                o[0] = FloatConversion.floatToBF16(v.x)
                o[1] = FloatConversion.floatToBF16(v.y)
                o += 2; i += 2
            }
            if i < blockEnd {
                o.pointee = FloatConversion.floatToBF16(pairs[Int(bytes[i >> 1])].x * scale)
                o += 1; i += 1
            }
        }
    }

    /// f32 → bf16 bits, round to nearest even (values are finite here: finite codes × finite scale).
    @inline(__always)
    private static func roundToBF16(_ v: SIMD8<Float>) -> SIMD8<UInt16> {
        let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        let rounded = (bits &+ (0x7FFF &+ ((bits &>> 16) & 1))) &>> 16
        return SIMD8<UInt16>(truncatingIfNeeded: rounded)
    }
}

/// Per-type tables: quantization midpoints in rank order and byte → (high, low) code values.
struct FourBitTable: Sendable {
    /// 15 ascending midpoints between consecutive code values, padded with +inf to 16.
    let midpoints: SIMD16<Float>
    /// Rank of a value among the sorted codes → nibble, 4 bits per rank (rank r at bits 4r…4r+3);
    /// the identity for NF4, a permutation for FP4 whose codes are in bit-pattern order.
    let nibbleOfRank: UInt64
    /// For every byte b: (code[b >> 4], code[b & 15]).
    let pairs: [SIMD2<Float>]

    init(code: [Float]) {
        // Stable sort by value: −0 and +0 compare equal, so the lower index comes first (as torch).
        let order = code.indices.sorted { (code[$0], $0) < (code[$1], $1) }
        var midpoints = SIMD16<Float>(repeating: .infinity)
        var nibbleOfRank: UInt64 = 0
        for rank in 0..<16 {
            if rank < 15 { midpoints[rank] = (code[order[rank]] + code[order[rank + 1]]) / 2 }
            nibbleOfRank |= UInt64(order[rank]) << (4 * rank)
        }
        self.midpoints = midpoints
        self.nibbleOfRank = nibbleOfRank
        self.pairs = (0..<256).map { SIMD2(code[$0 >> 4], code[$0 & 15]) }
    }

    static let nf4 = FourBitTable(code: QuantCodebooks.nf4)
    static let fp4 = FourBitTable(code: QuantCodebooks.fp4)
    static func of(_ type: FourBitType) -> FourBitTable { type == .nf4 ? nf4 : fp4 }

    /// The nibble of a value in [-1, 1]: how many midpoints are < it (torch.bucketize, right=False),
    /// counted with one vector compare, then mapped from rank to nibble.
    @inline(__always)
    static func nibble(of value: Float, _ midpoints: SIMD16<Float>, _ nibbleOfRank: UInt64) -> UInt8 {
        let below = midpoints .< SIMD16<Float>(repeating: value)
        let rank = SIMD16<Int32>(repeating: 0).replacing(with: 1, where: below).wrappedSum()
        return UInt8(truncatingIfNeeded: nibbleOfRank &>> (UInt64(truncatingIfNeeded: rank) &* 4)) & 0xF
    }
}
