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
    /// The complete file contents for `tensors` and `metadata` (see `write` for the contract).
    public static func encode(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:],
                              fileName: String = "safetensors") throws -> Data {
        let (header, ordered) = try layout(tensors, metadata: metadata, fileName: fileName)
        var out = Data(capacity: header.count + ordered.reduce(0) { $0 + $1.data.count })
        out.append(header)
        for t in ordered { out.append(t.data) }
        return out
    }

    /// Writes `tensors` to `url`: streamed (the file is never assembled in memory; wrap large
    /// buffers with `Data(bytesNoCopy:count:deallocator: .none)` to avoid copies) and atomic.
    ///
    /// Deterministic: the same input gives the same bytes (metadata keys are sorted), identical to
    /// the reference implementation's. Throws a RunnerError naming the file for duplicate or
    /// reserved names and data sizes that do not match shape × dtype.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to url: URL) throws {
        let (header, ordered) = try layout(tensors, metadata: metadata, fileName: url.path)
        let out = try AtomicStreamWriter(url)
        try out.write(header)
        for t in ordered { try out.write(t.data) }
        try out.finish()
    }

    /// The 8-byte length + padded JSON header, and the tensors in file order: dtype rank
    /// descending, then name — the reference writer's order.
    static func layout(_ tensors: [SafetensorsTensor], metadata: [String: String],
                       fileName: String) throws -> (header: Data, ordered: [SafetensorsTensor]) {
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

        var fields: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(JSONString.quoted($0, .minimal)):\(JSONString.quoted(metadata[$0]!, .minimal))" }
            fields.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for t in ordered {
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONString.quoted(t.name, .minimal)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        var json = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces, as the reference does

        var header = Data(capacity: 8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: json)
        return (header, ordered)
    }
}
