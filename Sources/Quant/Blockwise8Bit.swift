// Blockwise 8-bit quantization with a 256-entry code table (bitsandbytes `quantize_blockwise` /
// `dequantize_blockwise`): per block of `blockSize` values, absmax scaling, then the code index.
// Used for nested absmax (double quant) and for the moments of 8-bit AdamW.
import Basics
import Compute

/// A sorted 256-entry code table prepared for quantizing: bitsandbytes' CPU kernel maps a
/// normalized value to one of 65536 bins and each bin to a code index; this replicates it exactly.
public struct BlockwiseCodebook: Sendable {
    /// The 256 code values, ascending (e.g. `QuantCodebooks.dynamicSigned`).
    public let code: [Float]
    /// Bin (0…65535 across [-1, 1]) → code index.
    let binToCode: [UInt8]

    /// Prepares a table. `code` must hold 256 ascending values in [-1, 1].
    public init(code: [Float]) throws {
        guard code.count == 256 else {
            throw RunnerError("blockwise codebook", "expected 256 code values, got \(code.count)")
        }
        for i in 1..<256 where !(code[i - 1] <= code[i]) {
            throw RunnerError("blockwise codebook", "code values must ascend; index \(i) (\(code[i])) < index \(i - 1) (\(code[i - 1]))")
        }
        self.code = code
        // Bin i stands for -1 + 2i/65535 and takes the first code whose upper midpoint is ≥ it.
        var midpoints = [Float](repeating: 0, count: 255)
        for i in 0..<255 { midpoints[i] = 0.5 * (code[i] + code[i + 1]) }
        var table = [UInt8](repeating: 0, count: 65536)
        var index = 0
        for bin in 0..<65536 {
            let value = -1 + (2 * Float(bin)) / 65535
            while index < 255 && midpoints[index] < value { index += 1 }
            table[bin] = UInt8(index)
        }
        self.binToCode = table
    }

    /// `create_dynamic_map(signed=True)`: the default map, and Adam's first moment.
    public static let dynamicSigned = try! BlockwiseCodebook(code: QuantCodebooks.dynamicSigned)
    /// `create_dynamic_map(signed=False)`: Adam's second moment in bitsandbytes' 8-bit optimizers.
    public static let dynamicUnsigned = try! BlockwiseCodebook(code: QuantCodebooks.dynamicUnsigned)

    /// Code index of a value already divided by its block's absmax, via the bin table `binToCode`.
    /// NaN maps to 0 as in the C kernel.
    @inline(__always)
    static func index(ofNormalized value: Float, _ binToCode: UnsafePointer<UInt8>) -> UInt8 {
        let clamped = min(max(value, -1), 1)
        let t = (clamped + 1) * 0.5
        // The kernel computes t * 65535 + 0.5 with one fused multiply-add, then truncates.
        // The product and sum are exact in Double, so rounding once to Float is the same result.
        let bin = Float(Double(t) * 65535 + 0.5)
        return bin.isNaN ? binToCode[0] : binToCode[Int(bin)]
    }
}

/// Blockwise 8-bit quantization (`bitsandbytes.functional.quantize_blockwise` on CPU).
public enum Blockwise8Bit {
    /// Number of absmax values for `count` elements.
    public static func blockCount(_ count: Int, blockSize: Int) -> Int { (count + blockSize - 1) / blockSize }

    /// Quantizes `input` in blocks of `blockSize`: `absmax[b]` = max |x| of block b (NaNs skipped);
    /// `codes[i]` is the code bitsandbytes' CPU kernel picks for x / absmax: the value falls in one of
    /// 65536 bins over [-1, 1], and each bin holds the code nearest its centre (ties to the lower
    /// code). A block of zeros gets absmax 0 and codes 0. `codes` holds `input.count`, `absmax` holds
    /// `blockCount`.
    public static func quantize(_ input: QuantInput, codebook: BlockwiseCodebook, blockSize: Int,
                                codes: UnsafeMutableBufferPointer<UInt8>,
                                absmax: UnsafeMutableBufferPointer<Float>) throws {
        let n = input.count
        try checkSizes(count: n, blockSize: blockSize, codes: codes.count, absmax: absmax.count, what: "quantize_blockwise")
        codebook.binToCode.withUnsafeBufferPointer { bins in
            quantizeBlocks(input, bins: bins.baseAddress!, blockSize: blockSize, codes: codes, absmax: absmax)
        }
    }

    private static func quantizeBlocks(_ input: QuantInput, bins: UnsafePointer<UInt8>, blockSize: Int,
                                       codes: UnsafeMutableBufferPointer<UInt8>, absmax: UnsafeMutableBufferPointer<Float>) {
        let n = input.count
        withScratch(blockSize) { scratch in
            var start = 0, b = 0
            while start < n {
                let length = min(blockSize, n - start)
                let block: UnsafePointer<Float>
                if case .f32(let values) = input {
                    block = values.baseAddress! + start
                } else {
                    input.load(start..<(start + length), into: scratch)
                    block = UnsafePointer(scratch)
                }
                var maximum: Float = 0
                for i in 0..<length {
                    let a = abs(block[i])
                    if a > maximum { maximum = a }
                }
                absmax[b] = maximum
                let out = codes.baseAddress! + start
                if maximum == 0 {
                    out.update(repeating: 0, count: length)
                } else {
                    let inverse = 1 / maximum
                    for i in 0..<length { out[i] = BlockwiseCodebook.index(ofNormalized: block[i] * inverse, bins) }
                }
                start += length
                b += 1
            }
        }
    }

    /// Convenience: quantizes an f32 array, returning (codes, absmax).
    public static func quantize(_ values: [Float], codebook: BlockwiseCodebook, blockSize: Int) throws -> (codes: [UInt8], absmax: [Float]) {
        var codes = [UInt8](repeating: 0, count: values.count)
        var absmax = [Float](repeating: 0, count: blockCount(values.count, blockSize: blockSize))
        try values.withUnsafeBufferPointer { v in
            try codes.withUnsafeMutableBufferPointer { c in
                try absmax.withUnsafeMutableBufferPointer { a in
                    try quantize(.f32(v), codebook: codebook, blockSize: blockSize, codes: c, absmax: a)
                }
            }
        }
        return (codes, absmax)
    }

    /// Dequantizes: `out[i] = code[codes[i]] * absmax[i / blockSize]` in f32, then rounded to the
    /// output type. `out` holds `codes.count` elements.
    public static func dequantize(codes: UnsafeBufferPointer<UInt8>, absmax: UnsafeBufferPointer<Float>,
                                  code: [Float], blockSize: Int, into out: QuantOutput) throws {
        let n = codes.count
        try checkSizes(count: n, blockSize: blockSize, codes: out.count, absmax: absmax.count, what: "dequantize_blockwise")
        guard code.count == 256 else {
            throw RunnerError("dequantize_blockwise", "expected 256 code values, got \(code.count)")
        }
        code.withUnsafeBufferPointer { table in
            if case .f32(let direct) = out {
                var start = 0, b = 0
                while start < n {
                    let end = min(start + blockSize, n)
                    let scale = absmax[b]
                    for i in start..<end { direct[i] = table[Int(codes[i])] * scale }
                    start = end
                    b += 1
                }
                return
            }
            withScratch(blockSize) { block in
                var start = 0, b = 0
                while start < n {
                    let length = min(blockSize, n - start)
                    let scale = absmax[b]
                    for i in 0..<length { block[i] = table[Int(codes[start + i])] * scale }
                    out.store(block, count: length, at: start)
                    start += length
                    b += 1
                }
            }
        }
    }

    /// Convenience: dequantizes to a new f32 array.
    public static func dequantize(codes: [UInt8], absmax: [Float], code: [Float], blockSize: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: codes.count)
        try codes.withUnsafeBufferPointer { c in
            try absmax.withUnsafeBufferPointer { a in
                try out.withUnsafeMutableBufferPointer { o in
                    try dequantize(codes: c, absmax: a, code: code, blockSize: blockSize, into: .f32(o))
                }
            }
        }
        return out
    }

    static func checkSizes(count: Int, blockSize: Int, codes: Int, absmax: Int, what: String) throws {
        guard blockSize > 0 else {
            throw RunnerError(what, "block size must be positive, got \(blockSize)")
        }
        guard codes == count else {
            throw RunnerError(what, "code buffer holds \(codes) elements, expected \(count)")
        }
        let blocks = blockCount(count, blockSize: blockSize)
        guard absmax == blocks else {
            throw RunnerError(what, "absmax buffer holds \(absmax) values, expected \(blocks) (\(count) elements in blocks of \(blockSize))")
        }
    }
}
