// The GGUF (v2/v3, little-endian) header parser. Defensive like ggml's gguf.cpp: every count and
// length is checked against the bytes left before anything is allocated, every tensor's size is
// overflow-checked, offsets must be aligned, in bounds and non-overlapping, names unique.
import Basics
import Foundation
import Quant

/// The parsed header of a GGUF file (everything but the tensor bytes).
struct GGUFHeader {
    var version: Int
    var alignment: Int
    var metadata: GGUFMetadata
    var tensors: [GGUFTensorInfo]
    var dataOffset: Int
}

enum GGUFParser {
    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian u32
    static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    static let maxDimensions = 4
    /// ggml's GGML_MAX_NAME: tensor names must be shorter than this many bytes.
    static let maxTensorNameBytes = 64
    /// Nested arrays deeper than this are rejected (they would only serve to exhaust the stack).
    static let maxArrayDepth = 8

    static func parse(_ bytes: UnsafeRawBufferPointer, fileName: String) throws -> GGUFHeader {
        var cursor = ByteCursor(bytes, fileName: fileName)
        guard bytes.count >= 8 else {
            throw RunnerError(fileName, "file is \(bytes.count) bytes, too short to be GGUF", hint: "the file is truncated or not GGUF")
        }
        let fileMagic = try cursor.read(UInt32.self, "the magic")
        guard fileMagic == magic else {
            let shown = (0 ..< 4).map { String(format: "%02x", bytes[$0]) }.joined(separator: " ")
            throw RunnerError(fileName, "not a GGUF file: starts with bytes \(shown), expected 47 47 55 46 ('GGUF')")
        }
        let version = try cursor.read(UInt32.self, "the version")
        switch version {
        case 2, 3: break
        case 1: throw cursor.error("GGUF version 1 is not supported", at: 4, hint: "re-convert the model with a current llama.cpp")
        default:
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw cursor.error("big-endian GGUF files are not supported", at: 4)
            }
            throw cursor.error("unsupported GGUF version \(version) (expected 3)", at: 4)
        }
        let tensorCount = try cursor.read(UInt64.self, "the tensor count")
        let kvCount = try cursor.read(UInt64.self, "the metadata count")
        // A key/value takes at least 13 bytes, a tensor info at least 24: bound both counts by the file.
        guard kvCount <= UInt64(cursor.remaining / 13) else {
            throw cursor.error("metadata count \(kvCount) cannot fit in the \(cursor.remaining) bytes left", at: 16, hint: "the header is corrupt")
        }
        guard tensorCount <= UInt64(cursor.remaining / 24) else {
            throw cursor.error("tensor count \(tensorCount) cannot fit in the \(cursor.remaining) bytes left", at: 8, hint: "the header is corrupt")
        }

        var entries: [(key: String, value: GGUFValue)] = []
        var index: [String: Int] = [:]
        entries.reserveCapacity(Int(kvCount))
        for i in 0 ..< Int(kvCount) {
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
            let value = try readValue(&cursor, type, key: key, depth: 0)
            index[key] = entries.count
            entries.append((key, value))
        }
        let metadata = GGUFMetadata(entries: entries, index: index, fileName: fileName)
        let alignment = try readAlignment(metadata, fileName: fileName)

        var infos: [(name: String, type: GGMLType, dims: [Int], elements: Int, bytes: Int, offset: Int, at: Int)] = []
        infos.reserveCapacity(Int(tensorCount))
        var names: [String: Int] = [:]
        for i in 0 ..< Int(tensorCount) {
            let at = cursor.offset
            let name = try readString(&cursor, "the name of tensor #\(i)")
            guard name.utf8.count < maxTensorNameBytes else {
                throw cursor.error("tensor #\(i) name '\(name.prefix(80))…' is \(name.utf8.count) bytes; ggml allows at most \(maxTensorNameBytes - 1)", at: at)
            }
            if let first = names[name] {
                throw cursor.error("duplicate tensor name '\(name)' (tensors #\(first) and #\(i))", at: at)
            }
            names[name] = i
            let rank = try cursor.read(UInt32.self, "the rank of tensor '\(name)'")
            guard rank <= UInt32(maxDimensions) else {
                throw cursor.error("tensor '\(name)' has \(rank) dimensions; at most \(maxDimensions) are allowed", at: cursor.offset - 4)
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0 ..< Int(rank) {
                let raw = try cursor.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard raw >= 1, raw <= UInt64(Int.max) else {
                    throw cursor.error("tensor '\(name)' dimension \(d) is \(raw); dimensions must be ≥ 1", at: cursor.offset - 8)
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
                guard !overflow else {
                    throw cursor.error("tensor '\(name)' element count overflows (dimensions so far \(dims + [Int(raw)]))", at: cursor.offset - 8)
                }
                elements = product
                dims.append(Int(raw))
            }
            let rawType = try cursor.read(UInt32.self, "the type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw cursor.error("tensor '\(name)' has unknown ggml type \(rawType)", at: cursor.offset - 4,
                                   hint: "the file may need a newer runner, or it is corrupt")
            }
            let rowLength = dims.first ?? 1
            guard rowLength % type.blockSize == 0 else {
                throw cursor.error("tensor '\(name)' of type \(type) has rows of \(rowLength) values, not a multiple of the block size \(type.blockSize)", at: at)
            }
            guard let byteCount = type.byteCount(forElements: elements) else {
                throw cursor.error("tensor '\(name)' byte size overflows (\(elements) values of \(type))", at: at)
            }
            let rawOffset = try cursor.read(UInt64.self, "the data offset of tensor '\(name)'")
            guard rawOffset <= UInt64(Int.max) else {
                throw cursor.error("tensor '\(name)' data offset \(rawOffset) is out of range", at: cursor.offset - 8)
            }
            infos.append((name, type, dims, elements, byteCount, Int(rawOffset), at))
        }

        // The data section starts at the next multiple of the alignment after the tensor infos.
        let headerEnd = cursor.offset
        let dataOffset = (headerEnd + alignment - 1) / alignment * alignment
        if !infos.isEmpty, dataOffset > bytes.count {
            throw RunnerError(fileName, "the tensor data section would start at byte \(dataOffset), past the end of the \(bytes.count)-byte file",
                              hint: "the file is truncated")
        }
        let dataSize = max(0, bytes.count - dataOffset)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(infos.count)
        for info in infos {
            guard info.offset % alignment == 0 else {
                throw RunnerError(fileName, "tensor '\(info.name)' data offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            guard info.offset <= dataSize, info.bytes <= dataSize - info.offset else {
                throw RunnerError(fileName, "tensor '\(info.name)' data (\(info.bytes) bytes at data offset \(info.offset)) runs past the end of the file (data section holds \(dataSize) bytes)",
                                  hint: "the file is truncated")
            }
            tensors.append(GGUFTensorInfo(name: info.name, type: info.type, dimensions: info.dims,
                                          relativeOffset: info.offset, fileOffset: dataOffset + info.offset,
                                          elementCount: info.elements, byteCount: info.bytes))
        }
        let byOffset = tensors.sorted { ($0.relativeOffset, $0.byteCount) < ($1.relativeOffset, $1.byteCount) }
        for (previous, next) in zip(byOffset, byOffset.dropFirst()) where previous.relativeOffset + previous.byteCount > next.relativeOffset {
            throw RunnerError(fileName, "tensors '\(previous.name)' and '\(next.name)' overlap (data offsets \(previous.relativeOffset)+\(previous.byteCount) and \(next.relativeOffset))")
        }
        return GGUFHeader(version: Int(version), alignment: alignment, metadata: metadata, tensors: tensors, dataOffset: dataOffset)
    }

    private static func readAlignment(_ metadata: GGUFMetadata, fileName: String) throws -> Int {
        guard let value = metadata.value("general.alignment") else { return defaultAlignment }
        guard case let .uint32(raw) = value else {
            throw RunnerError(fileName, "metadata key 'general.alignment' must be a uint32, found a \(value.type)")
        }
        guard raw > 0, raw & (raw - 1) == 0 else {
            throw RunnerError(fileName, "metadata key 'general.alignment' is \(raw); it must be a power of two")
        }
        return Int(raw)
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

    private static func readValue(_ cursor: inout ByteCursor, _ type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
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
        case .array:
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
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                items.append(try readValue(&cursor, elementType, key: key, depth: depth + 1))
            }
            return .array(elementType, items)
        }
    }
}
