// A GGUF model file opened for reading: validated metadata and tensor descriptors, plus
// zero-copy views of each tensor's bytes in the memory-mapped file and dequantization to f32.
import Basics
import Foundation
import Quant

/// A GGUF file (v2 or v3, little-endian), memory-mapped and fully validated on open.
///
/// Tensor byte views (`bytes(of:)`) point into the map and are valid while this object is alive.
public final class GGUFFile: @unchecked Sendable {
    /// The path (or name) used in error messages.
    public let fileName: String
    /// GGUF format version (2 or 3).
    public let version: Int
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    public let metadata: GGUFMetadata
    /// Tensor descriptors in file order.
    public let tensors: [GGUFTensorInfo]
    /// File offset where the tensor data section starts.
    public let dataOffset: Int
    private let storage: FileBytes
    private let tensorIndex: [String: Int]

    /// Maps and validates the GGUF file at `url`. Throws a RunnerError naming the file, the byte
    /// offset and the problem for anything malformed; never traps on hostile input.
    public convenience init(contentsOf url: URL) throws {
        try self.init(storage: try FileBytes(mapping: url))
    }

    /// Validates GGUF bytes already in memory (or mapped); `storage.name` is used in errors.
    public init(storage: FileBytes) throws {
        let header = try GGUFParser.parse(storage.bytes, fileName: storage.name)
        self.storage = storage
        fileName = storage.name
        version = header.version
        alignment = header.alignment
        metadata = header.metadata
        tensors = header.tensors
        dataOffset = header.dataOffset
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { index[tensor.name] = i }
        tensorIndex = index
    }

    /// `general.architecture` (e.g. "llama"), or nil when absent or not a string.
    public var architecture: String? { metadata.value("general.architecture")?.stringValue }

    /// The descriptor of the tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The descriptor of the tensor called `name`; throws a RunnerError naming the file when absent.
    public func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensor(named: name) else {
            throw RunnerError(fileName, "tensor '\(name)' not found (the file has \(tensors.count) tensors)")
        }
        return info
    }

    /// The raw bytes of a tensor of this file: a zero-copy view into the map, valid while `self`
    /// is alive. `info` must come from this file's `tensors`.
    public func bytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[info.fileOffset ..< info.fileOffset + info.byteCount])
    }

    /// Dequantizes a tensor to f32, in ggml element order (ne[0] fastest; i.e. row-major in
    /// `info.shape`). Throws a RunnerError naming the file and tensor for unsupported types.
    public func dequantize(_ info: GGUFTensorInfo) throws -> [Float] {
        do {
            return try GGUFQuant.dequantize(info.type, from: bytes(of: info), count: info.elementCount)
        } catch let error as RunnerError {
            throw RunnerError(fileName, "tensor '\(info.name)': \(error.message)", hint: error.hint)
        }
    }

    /// Dequantizes the tensor called `name` (see `dequantize(_: GGUFTensorInfo)`).
    public func dequantize(_ name: String) throws -> [Float] { try dequantize(try requireTensor(name)) }

    /// Dequantizes a tensor into `destination` (at least `info.elementCount` floats).
    public func dequantize(_ info: GGUFTensorInfo, into destination: UnsafeMutableBufferPointer<Float>) throws {
        do {
            try GGUFQuant.dequantize(info.type, from: bytes(of: info), count: info.elementCount, into: destination)
        } catch let error as RunnerError {
            throw RunnerError(fileName, "tensor '\(info.name)': \(error.message)", hint: error.hint)
        }
    }
}
