// GGUF metadata values: the thirteen value types of the GGUF spec as one Swift enum. Arrays are
// stored typed ([Float], [String], …), so a large array costs about what it costs in the file.

/// The type tag of a GGUF metadata value (ids as in the GGUF spec).
public enum GGUFValueType: UInt32, Sendable, Hashable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes one value of this type occupies in a file (a string is at least its u64
    /// length, an array at least its element type and u64 count). Bounds untrusted counts.
    var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

/// One GGUF metadata value.
public enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFArray)

    /// The value's type tag.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as an Int when it is an integer of any width that fits; otherwise nil.
    public var intValue: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// The value as a Double when it is a float or an integer; otherwise nil.
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: intValue.map(Double.init)
        }
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    public var arrayValue: GGUFArray? {
        if case let .array(a) = self { return a }
        return nil
    }
}

/// A homogeneous GGUF array, stored as a typed Swift array. Nested arrays hold arrays, each with
/// its own element type.
public enum GGUFArray: Sendable, Hashable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool]), string([String])
    case array([GGUFArray])

    /// The declared element type.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    public var count: Int {
        switch self {
        case let .uint8(a): a.count
        case let .int8(a): a.count
        case let .uint16(a): a.count
        case let .int16(a): a.count
        case let .uint32(a): a.count
        case let .int32(a): a.count
        case let .uint64(a): a.count
        case let .int64(a): a.count
        case let .float32(a): a.count
        case let .float64(a): a.count
        case let .bool(a): a.count
        case let .string(a): a.count
        case let .array(a): a.count
        }
    }

    /// Element `i` as a value (0 ≤ i < count).
    public subscript(i: Int) -> GGUFValue {
        switch self {
        case let .uint8(a): .uint8(a[i])
        case let .int8(a): .int8(a[i])
        case let .uint16(a): .uint16(a[i])
        case let .int16(a): .int16(a[i])
        case let .uint32(a): .uint32(a[i])
        case let .int32(a): .int32(a[i])
        case let .uint64(a): .uint64(a[i])
        case let .int64(a): .int64(a[i])
        case let .float32(a): .float32(a[i])
        case let .float64(a): .float64(a[i])
        case let .bool(a): .bool(a[i])
        case let .string(a): .string(a[i])
        case let .array(a): .array(a[i])
        }
    }

    /// All elements as values (allocates one enum per element; prefer the typed cases).
    public var values: [GGUFValue] { (0 ..< count).map { self[$0] } }

    /// Integer elements as Int (nil for non-integer arrays or a UInt64 that does not fit).
    public var ints: [Int]? {
        switch self {
        case let .uint8(a): a.map(Int.init)
        case let .int8(a): a.map(Int.init)
        case let .uint16(a): a.map(Int.init)
        case let .int16(a): a.map(Int.init)
        case let .uint32(a): a.map(Int.init)
        case let .int32(a): a.map(Int.init)
        case let .int64(a): a.map(Int.init)
        case let .uint64(a): a.allSatisfy { $0 <= UInt64(Int.max) } ? a.map { Int($0) } : nil
        default: nil
        }
    }

    /// Numeric elements as Float (nil for strings, bools and nested arrays).
    public var floats: [Float]? {
        switch self {
        case let .float32(a): a
        case let .float64(a): a.map(Float.init)
        default: ints?.map(Float.init)
        }
    }
}
