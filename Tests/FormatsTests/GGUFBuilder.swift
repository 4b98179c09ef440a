// A deliberately permissive GGUF byte builder for tests: it writes whatever it is told (wrong
// counts, bad offsets, duplicate names), so tests can hand the reader precisely malformed files.
import Foundation

struct GGUFBuilder {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var kvs: [(key: String, type: UInt32, payload: [UInt8])] = []
    var tensors: [(name: String, dims: [UInt64], type: UInt32, offset: UInt64)] = []
    var tensorCountOverride: UInt64?
    var kvCountOverride: UInt64?
    var alignment = 32
    var data: [UInt8] = []

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func add(_ key: String, u32 value: UInt32) { kvs.append((key, 4, Self.le(value))) }
    mutating func add(_ key: String, string value: String) { kvs.append((key, 8, Self.string(value))) }
    mutating func add(_ key: String, type: UInt32, payload: [UInt8]) { kvs.append((key, type, payload)) }

    /// Adds an F32 tensor with the given GGUF dims and values, placed at the next aligned offset.
    mutating func addF32(_ name: String, dims: [UInt64], values: [Float]) {
        while data.count % alignment != 0 { data.append(0) }
        tensors.append((name, dims, 0, UInt64(data.count)))
        for v in values { data += Self.le(v.bitPattern) }
    }

    func bytes() -> [UInt8] {
        var out = magic + Self.le(version)
        out += Self.le(tensorCountOverride ?? UInt64(tensors.count))
        out += Self.le(kvCountOverride ?? UInt64(kvs.count))
        for kv in kvs { out += Self.string(kv.key) + Self.le(kv.type) + kv.payload }
        for t in tensors {
            out += Self.string(t.name) + Self.le(UInt32(t.dims.count))
            for d in t.dims { out += Self.le(d) }
            out += Self.le(t.type) + Self.le(t.offset)
        }
        while out.count % alignment != 0 { out.append(0) }
        return out + data
    }

    /// A valid two-tensor file used as the starting point of most tests.
    static func valid() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.add("general.architecture", string: "llama")
        b.add("llama.block_count", u32: 2)
        b.add("tokenizer.ggml.tokens", type: 9, payload: le(UInt32(8)) + le(UInt64(2)) + string("a") + string("b"))
        b.addF32("a", dims: [4, 2], values: (0 ..< 8).map { Float($0) + 0.5 })
        b.addF32("b", dims: [3], values: [1, -2, 3])
        return b
    }
}
