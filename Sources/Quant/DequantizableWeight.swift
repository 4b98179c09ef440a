// What a frozen quantized Linear weight offers training: its (out, in) shape and a dequantization
// to f32. NF4/FP4 (`FourBitWeight`) and LLM.int8 row-wise (`Int8RowWise`) conform.
import Basics
import Compute

/// A frozen quantized matrix that training dequantizes on the fly, right before each use.
public protocol DequantizableWeight: Sendable {
    /// Logical shape (out_features, in_features).
    var shape: [Int] { get }
    /// Dequantizes every element, row-major, into `out` (exactly `shape` product elements).
    func dequantize(intoFloats out: UnsafeMutableBufferPointer<Float>) throws
    /// The same values rounded to bf16 (nearest even), for a backend that multiplies bf16 weights.
    func dequantize(intoBF16 out: UnsafeMutableBufferPointer<UInt16>) throws
}

extension DequantizableWeight {
    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Default: dequantize to f32 in a temporary buffer, then round to bf16.
    public func dequantize(intoBF16 out: UnsafeMutableBufferPointer<UInt16>) throws {
        try dequantizeToBF16ThroughFloats(out)
    }

    func dequantizeToBF16ThroughFloats(_ out: UnsafeMutableBufferPointer<UInt16>) throws {
        var floats = [Float](repeating: 0, count: out.count)
        try floats.withUnsafeMutableBufferPointer { try dequantize(intoFloats: $0) }
        for i in out.indices { out[i] = FloatConversion.floatToBF16(floats[i]) }
    }
}

extension FourBitWeight: DequantizableWeight {
    /// bitsandbytes dequantizes to the quant state's dtype (the weight's type before quantization),
    /// so a bf16 or f16 weight comes back rounded to that type (held in f32).
    public func dequantize(intoFloats out: UnsafeMutableBufferPointer<Float>) throws {
        try dequantize(into: .f32(out))
        switch dtype {
        case .bf16: for i in out.indices { out[i] = FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(out[i])) }
        case .f16: for i in out.indices { out[i] = FloatConversion.f16ToFloat(FloatConversion.floatToF16(out[i])) }
        default: break
        }
    }

    /// Straight to bf16 for f32/bf16 weights; an f16 weight is rounded to f16 first, as above.
    public func dequantize(intoBF16 out: UnsafeMutableBufferPointer<UInt16>) throws {
        if dtype == .f16 { try dequantizeToBF16ThroughFloats(out) } else { try dequantize(into: .bf16(out)) }
    }
}

extension Int8RowWise: DequantizableWeight {
    public var shape: [Int] { [rows, columns] }

    public func dequantize(intoFloats out: UnsafeMutableBufferPointer<Float>) throws {
        try dequantize(into: out)
    }
}

/// A quantized weight whose dequantized values are rounded to bf16 (kept in f32 storage): what
/// bitsandbytes computes with when `bnb_4bit_compute_dtype` is bfloat16 (it casts the dequantized
/// weight to the compute dtype before the matmul).
public struct BF16RoundedWeight: DequantizableWeight {
    public let base: any DequantizableWeight

    public init(_ base: any DequantizableWeight) { self.base = base }

    public var shape: [Int] { base.shape }

    public func dequantize(intoFloats out: UnsafeMutableBufferPointer<Float>) throws {
        try base.dequantize(intoFloats: out)
        for i in out.indices { out[i] = FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(out[i])) }
    }
}
