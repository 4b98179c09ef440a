// Reading one .safetensors file: an 8-byte header length, a JSON header, then the tensor bytes.
// Validated as strictly as the reference (header size cap, contiguous offsets, sizes that match
// shape × dtype, no trailing bytes) plus duplicate-name detection; views are zero-copy.
import Basics
import Compute
import Foundation

/// A memory-mapped, fully validated safetensors file.
///
/// Tensor byte views (`bytes(of:)`) point into the map and are valid while this object is alive.
public final class SafetensorsFile: @unchecked Sendable {
    /// Headers larger than this are rejected (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000
    /// Longest array a header may hold (shapes and offset pairs are short).
    static let maxHeaderArrayLength = 1024

    public let fileName: String
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensors in header order.
    public let tensors: [SafetensorsTensorInfo]
    /// File offset of the data section (8 + header length).
    public let dataOffset: Int
    private let storage: FileBytes
    private let tensorIndex: [String: Int]

    public convenience init(contentsOf url: URL) throws {
        try self.init(storage: try FileBytes(mapping: url))
    }

    /// Validates safetensors bytes already in memory or mapped; `storage.name` is used in errors.
    public init(storage: FileBytes) throws {
        let name = storage.name
        let bytes = storage.bytes
        func fail(_ message: String, hint: String? = nil) -> RunnerError { RunnerError(name, message, hint: hint) }

        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, too short to be safetensors (needs an 8-byte header length)",
                       hint: "the file is truncated or not safetensors")
        }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header length \(headerLength) exceeds the \(Self.maxHeaderBytes)-byte limit", hint: "the file is corrupt or not safetensors")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw fail("header length \(headerLength) runs past the end of the \(bytes.count)-byte file", hint: "the file is truncated")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8 ..< 8 + Int(headerLength)])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail("header does not start with '{'", hint: "the file is corrupt or not safetensors")
        }
        let header: JSONValue
        do { header = try StrictJSON.parse(headerBytes, maxArrayLength: Self.maxHeaderArrayLength) } catch let error as JSONSyntaxError {
            throw fail("invalid JSON header at byte \(8 + error.offset): \(error.message)")
        }
        guard case let .object(members) = header else { throw fail("header is not a JSON object") }

        let dataOffset = 8 + Int(headerLength)
        let dataSize = bytes.count - dataOffset
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        for (key, value) in members {
            if key == "__metadata__" {
                guard case let .object(entries) = value else { throw fail("__metadata__ must be an object of strings, found \(value.typeName)") }
                for (metaKey, metaValue) in entries {
                    guard case let .string(text) = metaValue else {
                        throw fail("__metadata__.\(metaKey) must be a string, found \(metaValue.typeName)")
                    }
                    metadata[metaKey] = text
                }
                continue
            }
            tensors.append(try Self.tensorInfo(key, value, dataOffset: dataOffset, fail: fail))
        }

        // Offsets must tile the data section exactly: contiguous from 0, no gaps, no overlap,
        // nothing left over.
        var end = 0
        for info in tensors.sorted(by: { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }) {
            guard info.dataOffsets.lowerBound == end else {
                throw fail("tensor '\(info.name)': data_offsets start at \(info.dataOffsets.lowerBound), expected \(end) (offsets must be contiguous and non-overlapping)")
            }
            end = info.dataOffsets.upperBound
        }
        guard end <= dataSize else {
            throw fail("tensor data needs \(end) bytes after the header but the file has \(dataSize)", hint: "the file is truncated")
        }
        guard end == dataSize else {
            throw fail("\(dataSize - end) unexpected bytes after the last tensor", hint: "the file is corrupt")
        }

        self.storage = storage
        fileName = name
        self.metadata = metadata
        self.tensors = tensors
        self.dataOffset = dataOffset
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    private static func tensorInfo(_ name: String, _ value: JSONValue, dataOffset: Int,
                                   fail: (String, String?) -> RunnerError) throws -> SafetensorsTensorInfo {
        func bad(_ message: String, hint: String? = nil) -> RunnerError { fail("tensor '\(name)': \(message)", hint) }
        guard case let .object(fields) = value else { throw bad("entry must be an object, found \(value.typeName)") }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (field, fieldValue) in fields {
            switch field {
            case "dtype": dtypeValue = fieldValue
            case "shape": shapeValue = fieldValue
            case "data_offsets": offsetsValue = fieldValue
            default: throw bad("unknown field '\(field)' (expected dtype, shape, data_offsets)")
            }
        }
        guard case let .string(dtypeName)? = dtypeValue else { throw bad("missing or non-string 'dtype'") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw bad("unknown dtype '\(dtypeName)'", hint: "known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case let .array(shapeItems)? = shapeValue else { throw bad("missing or non-array 'shape'") }
        var shape: [Int] = []
        var elements = 1
        for (i, item) in shapeItems.enumerated() {
            guard let dim = item.nonNegativeInt else { throw bad("shape[\(i)] must be a non-negative integer") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw bad("element count of shape \(shapeItems.map { $0.nonNegativeInt ?? -1 }) overflows") }
            elements = product
            shape.append(dim)
        }
        guard case let .array(offsetItems)? = offsetsValue, offsetItems.count == 2,
              let begin = offsetItems[0].nonNegativeInt, let end = offsetItems[1].nonNegativeInt else {
            throw bad("'data_offsets' must be two non-negative integers [begin, end]")
        }
        guard begin <= end else { throw bad("data_offsets [\(begin), \(end)] end before they begin") }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw bad("byte size of shape \(shape) × \(dtype.rawValue) overflows") }
        guard end - begin == byteCount else {
            throw bad("shape \(shape) of \(dtype.rawValue) needs \(byteCount) bytes but data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        let (fileOffset, offsetOverflow) = dataOffset.addingReportingOverflow(begin)
        guard !offsetOverflow else { throw bad("data_offsets out of range") }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin ..< end, fileOffset: fileOffset)
    }

    /// The descriptor of the tensor called `name`, or nil.
    public func tensor(named name: String) -> SafetensorsTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The descriptor of the tensor called `name`; throws a RunnerError naming the file when absent.
    public func requireTensor(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = tensor(named: name) else {
            throw RunnerError(fileName, "tensor '\(name)' not found (the file has \(tensors.count) tensors)")
        }
        return info
    }

    /// The raw little-endian bytes of a tensor of this file: zero-copy, valid while `self` lives.
    public func bytes(of info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[info.fileOffset ..< info.fileOffset + info.byteCount])
    }

    /// An F64, F32, F16 or BF16 tensor converted to f32, row-major in `info.shape`. Throws a
    /// RunnerError naming the file and tensor for other dtypes (integers, bool, F8).
    public func floats(of info: SafetensorsTensorInfo) throws -> [Float] {
        guard info.dtype.isFloatingPoint else {
            throw RunnerError(fileName, "tensor '\(info.name)' is \(info.dtype.rawValue); only F64, F32, F16 and BF16 tensors convert to f32",
                              hint: "read its raw bytes with bytes(of:)")
        }
        return SafetensorsConversion.floats(bytes(of: info), dtype: info.dtype)
    }

    /// `floats(of:)` for the tensor called `name`.
    public func floats(_ name: String) throws -> [Float] { try floats(of: try requireTensor(name)) }
}

/// Element conversion from little-endian storage to f32.
enum SafetensorsConversion {
    static func floats(_ raw: UnsafeRawBufferPointer, dtype: SafetensorsDType) -> [Float] {
        let count = raw.count / dtype.size
        // Never with capacity 0: the stdlib then writes the count into the shared empty-array
        // singleton, a data race (TSan) with every other thread reading an empty array.
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                for i in 0 ..< count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f64:
                for i in 0 ..< count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case .f16:
                for i in 0 ..< count { out[i] = FloatConversion.f16ToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bf16:
                for i in 0 ..< count { out[i] = FloatConversion.bf16ToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            default:
                preconditionFailure("not a float dtype")
            }
            initialized = count
        }
    }
}
