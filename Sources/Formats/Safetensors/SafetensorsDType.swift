// safetensors element types (the "dtype" strings of the header), their sizes, the order the
// reference writer sorts them in, and the matching Compute.DType where there is one.
import Compute

/// A safetensors dtype. Raw values are the header strings.
public enum SafetensorsDType: String, Sendable, Hashable, CaseIterable {
    // Declared in the reference implementation's order (its writer sorts by it, largest first).
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8_e5m2 = "F8_E5M2", f8_e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16", i32 = "I32", u32 = "U32"
    case f32 = "F32", f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8_e5m2, .f8_e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// Rank in the reference writer's sort order (tensors are laid out largest rank first).
    var writeRank: Int { Self.allCases.firstIndex(of: self)! }

    /// Whether `SafetensorsFile.floats` can convert it (F64, F32, F16, BF16).
    public var isFloatingPoint: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }

    /// The Compute dtype with the same storage, if any.
    public var computeDType: DType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .i8: .i8
        case .u8: .u8
        case .i32: .i32
        case .i64: .i64
        default: nil
        }
    }

    /// The safetensors dtype for a Compute dtype.
    public init(_ dtype: DType) {
        switch dtype {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .i8: self = .i8
        case .u8: self = .u8
        case .i32: self = .i32
        case .i64: self = .i64
        }
    }
}

/// A validated safetensors tensor descriptor.
public struct SafetensorsTensorInfo: Sendable, Hashable {
    public let name: String
    public let dtype: SafetensorsDType
    /// PyTorch order (slowest dimension first); empty for a scalar.
    public let shape: [Int]
    /// Byte range relative to the start of the data section (the header's `data_offsets`).
    public let dataOffsets: Range<Int>
    /// Byte offset of the data from the start of the file.
    public let fileOffset: Int

    public var byteCount: Int { dataOffsets.count }
    public var elementCount: Int { byteCount / dtype.size }
}
