// A 4-bit quantized Linear weight (QLoRA's frozen base weight): packed NF4/FP4 codes, per-block
// absmax (plain or double-quantized) and the per-block scales ready for fused dequantization.
import Basics
import Compute

/// How a 4-bit weight stores its per-block absmax.
public enum AbsmaxStorage: Sendable, Equatable {
    /// One f32 per block (`compress_statistics=False`).
    case plain([Float])
    /// Double quantization (`compress_statistics=True`).
    case nested(NestedAbsmax)
}

/// A frozen 4-bit weight of shape (out, in), laid out as bitsandbytes' `Params4bit`.
public struct FourBitWeight: Sendable {
    /// Logical shape, usually (out_features, in_features).
    public let shape: [Int]
    public let type: FourBitType
    public let blockSize: Int
    /// Type of the weight before quantization (checkpoint `quant_state.dtype`): f32, bf16 or f16.
    public let dtype: DType
    /// (ceil(count / 2),) two codes per byte, first in the high nibble; flattened row-major.
    public let packed: [UInt8]
    /// The absmax as stored in a checkpoint.
    public let absmax: AbsmaxStorage
    /// (blocks,) per-block scale used by dequantization (`absmax`, un-nested once at init).
    public let scales: [Float]

    /// Number of weight elements.
    public var count: Int { shape.reduce(1, *) }

    /// Quantizes `input` (row-major, `shape`) as `bitsandbytes.functional.quantize_4bit` does.
    /// `doubleQuant` is `bnb_4bit_use_double_quant` / `compress_statistics`.
    public init(quantizing input: QuantInput, shape: [Int], type: FourBitType = .nf4, blockSize: Int = 64,
                doubleQuant: Bool = true) throws {
        let count = shape.reduce(1, *)
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), count == input.count else {
            throw RunnerError("4-bit weight", "shape \(shape) does not describe the \(input.count) input elements")
        }
        let quantized = try FourBit.quantize(input, type: type, blockSize: blockSize)
        let absmax: AbsmaxStorage = doubleQuant ? .nested(try NestedAbsmax(compressing: quantized.absmax)) : .plain(quantized.absmax)
        try self.init(shape: shape, type: type, blockSize: blockSize, dtype: input.dtype,
                      packed: quantized.packed, absmax: absmax)
    }

    /// Wraps already-quantized parts (e.g. read from a checkpoint), checking that sizes agree.
    public init(shape: [Int], type: FourBitType, blockSize: Int, dtype: DType, packed: [UInt8], absmax: AbsmaxStorage) throws {
        try FourBit.checkBlockSize(blockSize)
        let count = shape.reduce(1, *)
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw RunnerError("4-bit weight", "invalid shape \(shape)")
        }
        guard packed.count == (count + 1) / 2 else {
            throw RunnerError("4-bit weight", "shape \(shape) needs \((count + 1) / 2) packed bytes, got \(packed.count)")
        }
        let blocks = (count + blockSize - 1) / blockSize
        let scales: [Float]
        switch absmax {
        case .plain(let values): scales = values
        case .nested(let nested): scales = nested.dequantize()
        }
        guard scales.count == blocks else {
            throw RunnerError("4-bit weight", "shape \(shape) in blocks of \(blockSize) needs \(blocks) absmax values, got \(scales.count)")
        }
        self.shape = shape
        self.type = type
        self.blockSize = blockSize
        self.dtype = dtype
        self.packed = packed
        self.absmax = absmax
        self.scales = scales
    }

    /// Dequantizes the whole weight into `out` (`count` elements, row-major).
    public func dequantize(into out: QuantOutput) throws {
        try dequantize(elements: 0..<count, into: out)
    }

    /// Dequantizes rows `rows` of the (out, in) weight into `out` (`rows.count * in` elements):
    /// the fused step a 4-bit matmul runs on the fly, one tile of rows at a time.
    public func dequantizeRows(_ rows: Range<Int>, into out: QuantOutput) throws {
        let columns = count / shape[0]
        guard rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
            throw RunnerError("4-bit weight", "rows \(rows) out of range for shape \(shape)")
        }
        try dequantize(elements: (rows.lowerBound * columns)..<(rows.upperBound * columns), into: out)
    }

    /// Dequantizes flattened elements `elements` into `out[0..<elements.count]`.
    public func dequantize(elements: Range<Int>, into out: QuantOutput) throws {
        guard elements.lowerBound >= 0, elements.upperBound <= count else {
            throw RunnerError("4-bit weight", "elements \(elements) out of range for \(count) elements")
        }
        try packed.withUnsafeBufferPointer { p in
            try scales.withUnsafeBufferPointer { s in
                try FourBit.dequantize(packed: p, scales: s, type: type, blockSize: blockSize, range: elements, into: out)
            }
        }
    }

    /// Convenience: the whole weight as a new f32 array.
    public func dequantized() throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { try dequantize(into: .f32($0)) }
        return out
    }
}
