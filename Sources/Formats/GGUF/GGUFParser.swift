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
        let (version, tensorCount, kvCount) = try readPreamble(&cursor)
        let metadata = try readMetadata(&cursor, count: kvCount)
        let alignment = try readAlignment(metadata, fileName: fileName)
        var pending: [PendingTensor] = []
        pending.reserveCapacity(tensorCount)
        var names: [String: Int] = [:]
        for i in 0 ..< tensorCount {
            let info = try readTensorInfo(&cursor, number: i)
            if let first = names[info.name] {
                throw cursor.error("duplicate tensor name '\(info.name)' (tensors #\(first) and #\(i))", at: info.at)
            }
            names[info.name] = i
            pending.append(info)
        }
        // The data section starts at the next multiple of the alignment after the tensor infos.
        let dataOffset = (cursor.offset + alignment - 1) / alignment * alignment
        let tensors = try place(pending, dataOffset: dataOffset, alignment: alignment, fileSize: bytes.count, fileName: fileName)
        return GGUFHeader(version: version, alignment: alignment, metadata: metadata, tensors: tensors, dataOffset: dataOffset)
    }

    /// Magic, version and the two counts, each count bounded by the bytes left (a key/value takes
    /// at least 13 bytes, a tensor info at least 24).
    private static func readPreamble(_ cursor: inout ByteCursor) throws -> (version: Int, tensors: Int, kvs: Int) {
        let bytes = cursor.bytes, fileName = cursor.fileName
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
        guard kvCount <= UInt64(cursor.remaining / 13) else {
            throw cursor.error("metadata count \(kvCount) cannot fit in the \(cursor.remaining) bytes left", at: 16, hint: "the header is corrupt")
        }
        guard tensorCount <= UInt64(cursor.remaining / 24) else {
            throw cursor.error("tensor count \(tensorCount) cannot fit in the \(cursor.remaining) bytes left", at: 8, hint: "the header is corrupt")
        }
        return (Int(version), Int(tensorCount), Int(kvCount))
    }

    /// A tensor info as read, before its offset is checked against the data section.
    private struct PendingTensor {
        var name: String, type: GGMLType, dims: [Int], elements: Int, bytes: Int, offset: Int
        var at: Int  // file offset of the info, for messages
    }

    /// One tensor info: name, rank ≤ 4, dims ≥ 1 (overflow-checked product), known type whose
    /// block size divides the row, data offset.
    private static func readTensorInfo(_ cursor: inout ByteCursor, number i: Int) throws -> PendingTensor {
        let at = cursor.offset
        let name = try readString(&cursor, "the name of tensor #\(i)")
        guard name.utf8.count < maxTensorNameBytes else {
            throw cursor.error("tensor #\(i) name '\(name.prefix(80))…' is \(name.utf8.count) bytes; ggml allows at most \(maxTensorNameBytes - 1)", at: at)
        }
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
        return PendingTensor(name: name, type: type, dims: dims, elements: elements, bytes: byteCount, offset: Int(rawOffset), at: at)
    }

    /// Checks every tensor's data against the data section: aligned, inside the file, and no
    /// two tensors overlapping.
    private static func place(_ pending: [PendingTensor], dataOffset: Int, alignment: Int, fileSize: Int,
                              fileName: String) throws -> [GGUFTensorInfo] {
        if !pending.isEmpty, dataOffset > fileSize {
            throw RunnerError(fileName, "the tensor data section would start at byte \(dataOffset), past the end of the \(fileSize)-byte file",
                              hint: "the file is truncated")
        }
        let dataSize = max(0, fileSize - dataOffset)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(pending.count)
        for info in pending {
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
        return tensors
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
}
