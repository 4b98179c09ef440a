// Element types of tensors and their conversions to and from Float (f32).
// bf16 and f16 are storage types: compute reads them into f32 (accumulation stays f32).

/// The element type of a tensor's storage.
public enum DType: String, Sendable, Hashable, Codable, CaseIterable {
    case f32
    case f16
    case bf16
    /// Signed 8-bit, for int8 quantized weights and 8-bit optimizer states.
    case i8
    /// Unsigned 8-bit: raw bytes, packed 4-bit codes (two per byte), quantization maps.
    case u8
    case i32
    case i64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16: 2
        case .i8, .u8: 1
        case .i64: 8
        }
    }
}

/// Conversions between f32 and the 16-bit float formats, matching PyTorch bit for bit
/// (round to nearest even; NaN stays NaN).
public enum FloatConversion {
    /// bf16 bits → f32 (exact).
    @inline(__always)
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// f32 → bf16 bits, round to nearest even; NaNs become a quiet NaN (as torch does).
    @inline(__always)
    public static func floatToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let rounding: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// IEEE half bits → f32 (exact).
    @inline(__always)
    public static func f16ToFloat(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// f32 → IEEE half bits, round to nearest even (overflow → ±inf).
    @inline(__always)
    public static func floatToF16(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }
}
