// GGUF reading: a file written by gguf.GGUFWriter (every metadata type, several tensor types)
// and the real SmolLM2 model, both checked against what gguf.GGUFReader read from them.
import Foundation
import Formats
import Quant
import Testing

struct GGUFReaderTests {
    /// Compares a parsed value with the JSON the Python reader produced.
    func matches(_ value: GGUFValue, _ json: Any) -> Bool {
        switch value {
        case let .array(_, items):
            guard let list = json as? [Any], list.count == items.count else { return false }
            return zip(items, list).allSatisfy { matches($0, $1) }
        case let .string(s): return (json as? String) == s
        case let .bool(b): return (json as? Bool) == b
        case let .float32(f): return (json as? NSNumber).map { Float($0.doubleValue) == f } ?? false
        case let .float64(d): return (json as? NSNumber)?.doubleValue == d
        case let .uint64(u): return (json as? NSNumber)?.uint64Value == u
        default:
            guard let n = json as? NSNumber, let i = value.intValue else { return false }
            return n.int64Value == Int64(i)
        }
    }

    static let typeNames: [String: GGUFValueType] = [
        "UINT8": .uint8, "INT8": .int8, "UINT16": .uint16, "INT16": .int16, "UINT32": .uint32, "INT32": .int32,
        "FLOAT32": .float32, "BOOL": .bool, "STRING": .string, "ARRAY": .array, "UINT64": .uint64,
        "INT64": .int64, "FLOAT64": .float64,
    ]

    @Test func readsEveryMetadataTypeWrittenByGGUFWriter() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("gguf/small.gguf"))
        let expected = try #require(try Fixtures.json("gguf/small.json") as? [String: Any])
        let fields = try #require(expected["fields"] as? [String: [String: Any]])
        #expect(file.version == 3)
        #expect(file.alignment == expected["alignment"] as? Int)
        #expect(Set(file.metadata.keys) == Set(fields.keys))
        for (key, field) in fields {
            let value = try #require(file.metadata[key], "missing \(key)")
            let types = try #require(field["types"] as? [String])
            #expect(value.type == Self.typeNames[types[0]], "\(key) type")
            if case let .array(elementType, _) = value {
                #expect(elementType == Self.typeNames[types[1]], "\(key) element type")
            }
            #expect(matches(value, field["value"]!), "\(key): read \(value), gguf says \(field["value"]!)")
        }
        // Typed accessors.
        #expect(try file.metadata.string("test.string") == "héllo ✓ {{ bos_token }}")
        #expect(try file.metadata.strings("test.array.string") == ["a", "", "ĠHello"])
        #expect(try file.metadata.ints("test.array.i32") == [1, -2, 3])
        #expect(try file.metadata.ints("test.array.u8") == [0, 255, 7])
        #expect(try file.metadata.floats("test.array.f32") == [0.5, -1.25])
        #expect(try file.metadata.int("llama.block_count") == 2)
        #expect(try file.metadata.bool("test.bool") == true)
        #expect(try file.metadata.double("test.f32") == 3.25)
        #expect(try file.metadata.intIfPresent("no.such.key") == nil)
        #expect(file.architecture == "llama")
    }

    @Test func typedAccessorErrorsNameTheKey() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("gguf/small.gguf"))
        do {
            _ = try file.metadata.string("test.u8")
            Issue.record("expected a type mismatch")
        } catch {
            #expect("\(error)".contains("test.u8"))
            #expect("\(error)".contains("small.gguf"))
        }
        #expect(throws: (any Error).self) { try file.metadata.strings("test.array.i32") }
        #expect(throws: (any Error).self) { try file.metadata.int("missing.key") }
    }

    @Test func readsTensorsWrittenByGGUFWriter() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("gguf/small.gguf"))
        let expected = try #require(try Fixtures.json("gguf/small.json") as? [String: Any])
        let tensors = try #require(expected["tensors"] as? [[String: Any]])
        #expect(file.tensors.map(\.name) == tensors.map { $0["name"] as! String })
        for (info, want) in zip(file.tensors, tensors) {
            #expect(info.type.description == want["type"] as? String)
            #expect(info.dimensions == want["dims"] as? [Int])
            #expect(info.shape == (want["dims"] as! [Int]).reversed())
            #expect(info.fileOffset == want["offset"] as? Int)
            let values = (want["values"] as! [NSNumber]).map { Float($0.doubleValue) }
            #expect(sameBits(try file.dequantize(info), values), "\(info.name)")
        }
        let raw = file.bytes(of: try file.requireTensor("t.f32"))
        #expect(raw.count == 3 * 64 * 4)
        #expect(throws: (any Error).self) { try file.requireTensor("nope") }
    }

    @Test func readsTheRealSmolLM2Model() throws {
        let file = try GGUFFile(contentsOf: try Fixtures.smolLM2())
        let facts = try #require(try Fixtures.json("gguf/smollm2.json") as? [String: Any])
        #expect(file.architecture == facts["architecture"] as? String)
        #expect(try file.metadata.int("llama.block_count") == facts["block_count"] as? Int)
        #expect(try file.metadata.int("llama.embedding_length") == facts["embedding_length"] as? Int)
        #expect(try file.metadata.strings("tokenizer.ggml.tokens").count == facts["vocab_size"] as? Int)
        #expect(try file.metadata.string("tokenizer.ggml.model") == facts["tokenizer_model"] as? String)
        #expect(try file.metadata.string("tokenizer.chat_template").hasPrefix(facts["chat_template_prefix"] as! String))
        #expect(file.metadata.count == facts["kv_count"] as? Int)
        #expect(file.alignment == facts["alignment"] as? Int)
        // Tokenizer keys the tokenizer helper relies on.
        #expect(try file.metadata.strings("tokenizer.ggml.merges").count > 1000)
        #expect(try file.metadata.ints("tokenizer.ggml.token_type").count == 49152)
        #expect(try file.metadata.int("tokenizer.ggml.bos_token_id") >= 0)

        let tensors = try #require(facts["tensors"] as? [[String: Any]])
        #expect(file.tensors.count == tensors.count)
        for (info, want) in zip(file.tensors, tensors) {
            #expect(info.name == want["name"] as? String)
            #expect(info.type.description == want["type"] as? String)
            #expect(info.dimensions == want["dims"] as? [Int])
            #expect(info.fileOffset == want["offset"] as? Int)
        }
        #expect(Set(file.tensors.map(\.type)) == [.f32, .q4_1, .q8_0])

        let expected = try Fixtures.floats("gguf/smollm2-values.f32")
        let spots = try #require(facts["spot_checks"] as? [[String: Any]])
        for (i, spot) in spots.enumerated() {
            let name = spot["name"] as! String
            let values = try file.dequantize(name)
            #expect(values.count == spot["count"] as? Int)
            let first = Array(expected[(128 * i) ..< (128 * i + 64)])
            let last = Array(expected[(128 * i + 64) ..< (128 * i + 128)])
            #expect(sameBits(Array(values.prefix(64)), first), "\(name) first values")
            #expect(sameBits(Array(values.suffix(64)), last), "\(name) last values")
        }
    }
}
