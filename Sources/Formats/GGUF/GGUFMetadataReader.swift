// Reading GGUF metadata values from untrusted bytes: strings (UTF-8, length-checked), scalars,
// and arrays (typed, nested up to a depth limit), each count checked against the bytes left.
import Basics

extension GGUFParser {
    /// The key/value section: `count` entries of string key, u32 type, value. Keys are unique.
    static func readMetadata(_ cursor: inout ByteCursor, count: Int) throws -> GGUFMetadata {
        var entries: [(key: String, value: GGUFValue)] = []
        var index: [String: Int] = [:]
        entries.reserveCapacity(count)
        for i in 0 ..< count {
            let keyOffset = cursor.offset
            let key = try readString(&cursor, "metadata key #\(i)")
            if let first = index[key] {
                throw cursor.error("duplicate metadata key '\(key)' (entries #\(first) and #\(i))", at: keyOffset)
            }
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, "the type of metadata key '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw cursor.error("metadata key '\(key)' has unknown value type \(rawType)", at: typeOffset)
            }
            let value = try readValue(&cursor, type, key: key)
            index[key] = entries.count
            entries.append((key, value))
        }
        return GGUFMetadata(entries: entries, index: index, fileName: cursor.fileName)
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (no terminator).
    static func readString(_ cursor: inout ByteCursor, _ what: @autoclosure () -> String) throws -> String {
        let at = cursor.offset
        let length = try cursor.read(UInt64.self, "the length of \(what())")
        guard length <= UInt64(cursor.remaining) else {
            throw cursor.error("\(what()) claims \(length) bytes but only \(cursor.remaining) are left", at: at, hint: "the file is truncated or corrupt")
        }
        let raw = try cursor.readBytes(Int(length), what())
        guard let string = String(validating: raw, as: UTF8.self) else {
            throw cursor.error("\(what()) is not valid UTF-8", at: at)
        }
        return string
    }

    private static func readValue(_ cursor: inout ByteCursor, _ type: GGUFValueType, key: String) throws -> GGUFValue {
        let what = "the value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what))
        case .int8: return .int8(try cursor.read(Int8.self, what))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what))
        case .int16: return .int16(try cursor.read(Int16.self, what))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what))
        case .int32: return .int32(try cursor.read(Int32.self, what))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what))
        case .int64: return .int64(try cursor.read(Int64.self, what))
        case .float32: return .float32(try cursor.readFloat(what))
        case .float64: return .float64(try cursor.readDouble(what))
        case .bool:
            let at = cursor.offset
            let byte = try cursor.read(UInt8.self, what)
            guard byte <= 1 else { throw cursor.error("metadata key '\(key)': bool byte is \(byte), expected 0 or 1", at: at) }
            return .bool(byte == 1)
        case .string: return .string(try readString(&cursor, what))
        case .array: return .array(try readArray(&cursor, key: key, depth: 0))
        }
    }

    /// An array: u32 element type, u64 count, elements. The count is checked against the bytes
    /// left before anything is allocated; numeric arrays are read in bulk into typed storage.
    private static func readArray(_ cursor: inout ByteCursor, key: String, depth: Int) throws -> GGUFArray {
        let at = cursor.offset
        guard depth < maxArrayDepth else {
            throw cursor.error("metadata key '\(key)': arrays nested deeper than \(maxArrayDepth) levels", at: at)
        }
        let rawType = try cursor.read(UInt32.self, "the element type of '\(key)'")
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw cursor.error("metadata key '\(key)': unknown array element type \(rawType)", at: at)
        }
        let count = try cursor.read(UInt64.self, "the length of array '\(key)'")
        guard count <= UInt64(cursor.remaining / elementType.minimumEncodedSize) else {
            throw cursor.error("metadata key '\(key)': array of \(count) \(elementType) cannot fit in the \(cursor.remaining) bytes left",
                               at: at + 4, hint: "the file is truncated or corrupt")
        }
        let n = Int(count)
        func numbers<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            let size = MemoryLayout<T>.size
            let raw = try cursor.readBytes(n * size, "array '\(key)'")
            // Not with capacity 0: the stdlib would write into the shared empty-array singleton (a data race).
            guard n > 0 else { return [] }
            return [T](unsafeUninitializedCapacity: n) { out, initialized in
                for i in 0 ..< n { out[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self)) }
                initialized = n
            }
        }
        switch elementType {
        case .uint8: return .uint8(try numbers(UInt8.self))
        case .int8: return .int8(try numbers(Int8.self))
        case .uint16: return .uint16(try numbers(UInt16.self))
        case .int16: return .int16(try numbers(Int16.self))
        case .uint32: return .uint32(try numbers(UInt32.self))
        case .int32: return .int32(try numbers(Int32.self))
        case .uint64: return .uint64(try numbers(UInt64.self))
        case .int64: return .int64(try numbers(Int64.self))
        case .float32: return .float32(try numbers(UInt32.self).map(Float.init(bitPattern:)))
        case .float64: return .float64(try numbers(UInt64.self).map(Double.init(bitPattern:)))
        case .bool:
            let bytes = try numbers(UInt8.self)
            if let bad = bytes.firstIndex(where: { $0 > 1 }) {
                throw cursor.error("metadata key '\(key)'[\(bad)]: bool byte is \(bytes[bad]), expected 0 or 1")
            }
            return .bool(bytes.map { $0 == 1 })
        case .string:
            var items: [String] = []
            items.reserveCapacity(n)
            for i in 0 ..< n { items.append(try readString(&cursor, "'\(key)'[\(i)]")) }
            return .string(items)
        case .array:
            var items: [GGUFArray] = []
            items.reserveCapacity(n)
            for _ in 0 ..< n { items.append(try readArray(&cursor, key: key, depth: depth + 1)) }
            return .array(items)
        }
    }
}
