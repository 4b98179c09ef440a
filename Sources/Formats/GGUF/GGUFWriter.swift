// Writing GGUF v3 files laid out exactly as gguf.GGUFWriter (the gguf Python package) lays them
// out: header, metadata in insertion order (general.architecture first), tensor infos, then each
// tensor's data padded to the alignment.
import Basics
import Foundation
import Quant

/// Builds a GGUF v3 file in memory. Validation happens as values are added, so `encode()` only
/// fails on what cannot be checked earlier.
public struct GGUFWriter {
    public let alignment: Int
    /// Metadata in the order it will be written.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    /// Tensors in the order they will be written.
    public private(set) var tensors: [(name: String, type: GGMLType, dimensions: [Int], data: Data)] = []
    private let context: String

    /// Starts a file for `architecture` (written as `general.architecture`, as the gguf package
    /// does). A non-default `alignment` (a power of two) is recorded as `general.alignment`.
    /// `context` names the output in error messages.
    public init(architecture: String, alignment: Int = 32, context: String = "gguf writer") throws {
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= Int(UInt32.max) else {
            throw RunnerError(context, "alignment \(alignment) is not a power of two")
        }
        self.alignment = alignment
        self.context = context
        try set("general.architecture", .string(architecture))
        if alignment != 32 { try set("general.alignment", .uint32(UInt32(alignment))) }
    }

    /// Sets a metadata value; setting an existing key replaces its value in place (as the gguf
    /// package does).
    public mutating func set(_ key: String, _ value: GGUFValue) throws {
        guard !key.isEmpty else { throw RunnerError(context, "metadata keys cannot be empty") }
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor: `dimensions` in GGUF order (ne[0], the fastest, first — i.e. the PyTorch
    /// shape reversed) and `data` already encoded as `type` (see `GGUFQuant.quantize`). Large
    /// buffers can be wrapped without copying: `Data(bytesNoCopy:count:deallocator: .none)`.
    public mutating func addTensor(_ name: String, type: GGMLType, dimensions: [Int], data: Data) throws {
        func bad(_ message: String) -> RunnerError { RunnerError(context, "tensor '\(name)': \(message)") }
        guard !name.isEmpty, name.utf8.count < GGUFParser.maxTensorNameBytes else {
            throw bad("names must be 1 to \(GGUFParser.maxTensorNameBytes - 1) bytes")
        }
        guard !tensors.contains(where: { $0.name == name }) else { throw bad("duplicate tensor name") }
        guard dimensions.count <= GGUFParser.maxDimensions, dimensions.allSatisfy({ $0 >= 1 }) else {
            throw bad("dimensions \(dimensions) must be 1 to \(GGUFParser.maxDimensions) values ≥ 1")
        }
        guard (dimensions.first ?? 1) % type.blockSize == 0 else {
            throw bad("rows of \(dimensions.first ?? 1) values are not a multiple of the \(type) block size \(type.blockSize)")
        }
        var count = 1
        for d in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("element count overflows") }
            count = product
        }
        guard let bytes = type.byteCount(forElements: count), bytes == data.count else {
            throw bad("\(count) values of \(type) need \(type.byteCount(forElements: count) ?? -1) bytes, got \(data.count)")
        }
        tensors.append((name, type, dimensions, data))
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Everything before the tensor data: header, metadata, tensor infos, padding.
    private func header() -> Data {
        var out = Data()
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func put(string s: String) {
            put(UInt64(s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        func put(value: GGUFValue) {
            switch value {
            case let .uint8(v): put(v)
            case let .int8(v): put(v)
            case let .uint16(v): put(v)
            case let .int16(v): put(v)
            case let .uint32(v): put(v)
            case let .int32(v): put(v)
            case let .uint64(v): put(v)
            case let .int64(v): put(v)
            case let .float32(v): put(v.bitPattern)
            case let .float64(v): put(v.bitPattern)
            case let .bool(v): put(UInt8(v ? 1 : 0))
            case let .string(s): put(string: s)
            case let .array(items): put(array: items)
            }
        }
        func put(array: GGUFArray) {
            put(array.elementType.rawValue)
            put(UInt64(array.count))
            switch array {
            case let .uint8(a): a.forEach { put($0) }
            case let .int8(a): a.forEach { put($0) }
            case let .uint16(a): a.forEach { put($0) }
            case let .int16(a): a.forEach { put($0) }
            case let .uint32(a): a.forEach { put($0) }
            case let .int32(a): a.forEach { put($0) }
            case let .uint64(a): a.forEach { put($0) }
            case let .int64(a): a.forEach { put($0) }
            case let .float32(a): a.forEach { put($0.bitPattern) }
            case let .float64(a): a.forEach { put($0.bitPattern) }
            case let .bool(a): a.forEach { put(UInt8($0 ? 1 : 0)) }
            case let .string(a): a.forEach { put(string: $0) }
            case let .array(a): a.forEach { put(array: $0) }
            }
        }
        put(GGUFParser.magic)
        put(UInt32(3))
        put(UInt64(tensors.count))
        put(UInt64(metadata.count))
        for (key, value) in metadata {
            put(string: key)
            put(value.type.rawValue)
            put(value: value)
        }
        var offset = 0
        for t in tensors {
            put(string: t.name)
            put(UInt32(t.dimensions.count))
            for d in t.dimensions { put(UInt64(d)) }
            put(t.type.rawValue)
            put(UInt64(offset))
            offset += padded(t.data.count)
        }
        out.append(Data(count: padded(out.count) - out.count))
        return out
    }

    /// The complete file.
    public func encode() -> Data {
        var out = header()
        for t in tensors {
            out.append(t.data)
            out.append(Data(count: padded(t.data.count) - t.data.count))
        }
        return out
    }

    /// Writes the file to `url`: streamed tensor by tensor (never assembled in memory) and atomic.
    public func write(to url: URL) throws {
        let out = try AtomicStreamWriter(url)
        try out.write(header())
        for t in tensors {
            try out.write(t.data)
            try out.writeZeros(padded(t.data.count) - t.data.count)
        }
        try out.finish()
    }
}
