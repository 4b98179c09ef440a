// Writing .safetensors files, byte-for-byte as the reference implementation lays them out:
// tensors sorted by dtype (largest first) then name, compact JSON header with `__metadata__`
// first, header padded with spaces to a multiple of 8 bytes.
import Basics
import Compute
import Foundation

/// A tensor to write: name, dtype, shape (PyTorch order) and its little-endian bytes.
public struct SafetensorsTensor: Sendable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var data: Data

    /// Contract: `data.count == shape.product × dtype.size` (checked when written).
    public init(name: String, dtype: SafetensorsDType, shape: [Int], data: Data) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// f32 values stored as `dtype` (F32, F16 or BF16; 16-bit formats round to nearest even).
    public init(name: String, shape: [Int], floats: [Float], as dtype: SafetensorsDType = .f32) {
        precondition(dtype == .f32 || dtype == .f16 || dtype == .bf16, "floats can be stored as F32, F16 or BF16")
        var data = Data(capacity: floats.count * dtype.size)
        for v in floats {
            switch dtype {
            case .f32: withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .f16: withUnsafeBytes(of: FloatConversion.floatToF16(v).littleEndian) { data.append(contentsOf: $0) }
            default: withUnsafeBytes(of: FloatConversion.floatToBF16(v).littleEndian) { data.append(contentsOf: $0) }
            }
        }
        self.init(name: name, dtype: dtype, shape: shape, data: data)
    }
}

public enum SafetensorsWriter {
    /// The complete file contents for `tensors` and `metadata`.
    ///
    /// Deterministic: the same input gives the same bytes (metadata keys are sorted). Throws a
    /// RunnerError (context `fileName`) for duplicate or reserved names and size mismatches.
    public static func encode(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:],
                              fileName: String = "safetensors") throws -> Data {
        var seen = Set<String>()
        for t in tensors {
            guard t.name != "__metadata__" else { throw RunnerError(fileName, "'__metadata__' cannot be a tensor name") }
            guard seen.insert(t.name).inserted else { throw RunnerError(fileName, "duplicate tensor name '\(t.name)'") }
            var elements = 1
            for dim in t.shape {
                guard dim >= 0 else { throw RunnerError(fileName, "tensor '\(t.name)': negative dimension in shape \(t.shape)") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw RunnerError(fileName, "tensor '\(t.name)': shape \(t.shape) overflows") }
                elements = product
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: t.dtype.size)
            guard !overflow, bytes == t.data.count else {
                throw RunnerError(fileName, "tensor '\(t.name)': shape \(t.shape) of \(t.dtype.rawValue) needs \(bytes) bytes, got \(t.data.count)")
            }
        }
        let ordered = tensors.sorted { ($0.dtype.writeRank, $1.name) > ($1.dtype.writeRank, $0.name) }

        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(JSONText.quoted($0)):\(JSONText.quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for t in ordered {
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONText.quoted(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for t in ordered { out.append(t.data) }
        return out
    }

    /// Writes `tensors` to `url` atomically (see `encode`).
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to url: URL) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata, fileName: url.path), to: url)
    }
}
