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
}

extension DequantizableWeight {
    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
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
