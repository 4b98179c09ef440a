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
                var i = 0
                while i < length {
                    let high = table.nibble(of: block[i])
                    let low = i + 1 < length ? table.nibble(of: block[i + 1]) : table.nibble(of: 0)
                    packed[(start + i) >> 1] = high << 4 | low
                    i += 2
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
        let pairs = FourBitTable.of(type).pairs
        pairs.withUnsafeBufferPointer { pairs in
            if case .f32(let direct) = out {
                decode(packed, scales, pairs, blockSize, range, direct.baseAddress!)
                return
            }
            // Narrow outputs: decode a block-sized chunk to f32, then round.
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

/// Per-type tables: quantization midpoints in rank order and byte → (high, low) code values.
struct FourBitTable: Sendable {
    /// 15 ascending midpoints between consecutive code values, padded with +inf to 16.
    let midpoints: [Float]
    /// Rank of a value among the sorted codes → nibble (identity for NF4; FP4 codes are unsorted).
    let nibbleOfRank: [UInt8]
    /// For every byte b: (code[b >> 4], code[b & 15]).
    let pairs: [SIMD2<Float>]

    init(code: [Float]) {
        // Stable sort by value: −0 and +0 compare equal, so the lower index comes first (as torch).
        let order = code.indices.sorted { (code[$0], $0) < (code[$1], $1) }
        var midpoints = (0..<15).map { (code[order[$0]] + code[order[$0 + 1]]) / 2 }
        midpoints.append(.infinity)
        self.midpoints = midpoints
        self.nibbleOfRank = order.map { UInt8($0) }
        self.pairs = (0..<256).map { SIMD2(code[$0 >> 4], code[$0 & 15]) }
    }

    static let nf4 = FourBitTable(code: QuantCodebooks.nf4)
    static let fp4 = FourBitTable(code: QuantCodebooks.fp4)
    static func of(_ type: FourBitType) -> FourBitTable { type == .nf4 ? nf4 : fp4 }

    /// The nibble of a value in [-1, 1]: how many midpoints are < it (torch.bucketize, right=False),
    /// by a branch-free binary search over the 16 padded midpoints.
    @inline(__always)
    func nibble(of value: Float) -> UInt8 {
        var rank = 0
        if midpoints[rank + 7] < value { rank += 8 }
        if midpoints[rank + 3] < value { rank += 4 }
        if midpoints[rank + 1] < value { rank += 2 }
        if midpoints[rank] < value { rank += 1 }
        return nibbleOfRank[rank]
    }
}
