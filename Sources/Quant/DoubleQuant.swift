// Double (nested) quantization of 4-bit absmax values (QLoRA, bitsandbytes
// `compress_statistics=True`): subtract the mean, then blockwise 8-bit with the signed dynamic map
// in blocks of 256. Saves ~0.37 bits per weight at block size 64.
import Basics
import Compute

/// The absmax of a 4-bit weight, stored compressed: one byte per block plus one f32 per 256 blocks.
public struct NestedAbsmax: Sendable, Equatable {
    /// Block size of the nested quantization (bitsandbytes always uses 256).
    public static let blockSize = 256

    /// (blocks,) code indices into `QuantCodebooks.dynamicSigned` (checkpoint `weight.absmax`, u8).
    public var codes: [UInt8]
    /// (ceil(blocks / 256),) scales of the nested blocks (checkpoint `weight.nested_absmax`).
    public var nestedAbsmax: [Float]
    /// Mean of the original absmax values, added back on dequantization (`nested_offset`).
    public var offset: Float

    public init(codes: [UInt8], nestedAbsmax: [Float], offset: Float) throws {
        let expected = Blockwise8Bit.blockCount(codes.count, blockSize: Self.blockSize)
        guard nestedAbsmax.count == expected else {
            throw RunnerError("nested absmax", "\(codes.count) absmax codes need \(expected) nested_absmax values, got \(nestedAbsmax.count)")
        }
        guard offset.isFinite else { throw RunnerError("nested absmax", "nested_offset is not finite (\(offset))") }
        self.codes = codes
        self.nestedAbsmax = nestedAbsmax
        self.offset = offset
    }

    /// Compresses absmax values as bitsandbytes does: offset = mean (torch's float32 sum order),
    /// then `quantize_blockwise(absmax - offset, blocksize=256)` with the signed dynamic map.
    public init(compressing absmax: [Float]) throws {
        guard !absmax.isEmpty else { throw RunnerError("nested absmax", "no absmax values to compress") }
        let offset = absmax.withUnsafeBufferPointer { TorchFloatSum.mean($0) }
        let centered = absmax.map { $0 - offset }
        let (codes, scales) = try Blockwise8Bit.quantize(centered, codebook: .dynamicSigned, blockSize: Self.blockSize)
        try self.init(codes: codes, nestedAbsmax: scales, offset: offset)
    }

    /// Number of 4-bit blocks described.
    public var count: Int { codes.count }

    /// The absmax values: `code[codes[i]] * nestedAbsmax[i / 256] + offset`, each step in f32.
    public func dequantize() -> [Float] {
        let code = QuantCodebooks.dynamicSigned
        var out = [Float](repeating: 0, count: codes.count)
        for i in 0..<codes.count {
            out[i] = code[Int(codes[i])] * nestedAbsmax[i / Self.blockSize] + offset
        }
        return out
    }
}
