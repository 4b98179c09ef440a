// Malformed and hostile safetensors input: one clear RunnerError naming the file, the tensor and
// the problem; every truncation and random header mutations never crash.
import Basics
import Foundation
import Formats
import Testing

struct SafetensorsHostileInputTests {
    /// A file from a raw header text and `dataBytes` zero bytes of data.
    static func file(header: String, dataBytes: Int, headerLength: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        return GGUFBuilder.le(headerLength ?? UInt64(h.count)) + h + [UInt8](repeating: 7, count: dataBytes)
    }

    func parse(_ bytes: [UInt8]) throws -> SafetensorsFile {
        try SafetensorsFile(storage: FileBytes(copying: bytes, name: "hostile.safetensors"))
    }

    func expectError(_ bytes: [UInt8], _ fragments: String..., sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(bytes)
            Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
        } catch let error as RunnerError {
            #expect(error.context == "hostile.safetensors", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }

    static let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}"#

    @Test func validHandWrittenFileParses() throws {
        let f = try parse(Self.file(header: Self.good, dataBytes: 11))
        #expect(f.tensors.map(\.name) == ["a", "b"])
        #expect(f.tensors[1].fileOffset == 8 + Self.good.utf8.count + 8)
    }

    @Test func rejectsBadHeaders() {
        expectError([1, 2, 3], "too short")
        expectError(Self.file(header: Self.good, dataBytes: 11, headerLength: 200_000_000), "exceeds")
        expectError(Self.file(header: Self.good, dataBytes: 11, headerLength: 5000), "past the end")
        expectError(Self.file(header: " " + Self.good, dataBytes: 11), "start with '{'")
        expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, dataBytes: 8), "invalid JSON")
        expectError(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, dataBytes: 16), "duplicate key \"a\"")
        expectError(Self.file(header: "{\"a\u{1}\":{}}", dataBytes: 0), "control character")
        var invalidUTF8 = Self.file(header: #"{"ab":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, dataBytes: 4)
        invalidUTF8[11] = 0xFF
        expectError(invalidUTF8, "UTF-8")
        expectError(Self.file(header: #"{"__metadata__":{"k":1}}"#, dataBytes: 0), "__metadata__.k must be a string")
    }

    /// The header's JSON is parsed strictly: escapes (incl. surrogate pairs) decode, and
    /// malformed escapes, numbers and literals are rejected with the byte offset.
    @Test func headerJSONIsParsedStrictly() throws {
        let escaped = #"{"caf\u00e9 \ud83d\ude00\t\"q\"\/":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#
        let file = try parse(Self.file(header: escaped, dataBytes: 4))
        #expect(file.tensors.map(\.name) == ["café 😀\t\"q\"/"])
        let spaced = "{ \"w\" : { \"dtype\" : \"U8\" , \"shape\" : [ 2 ] , \"data_offsets\" : [ 0 , 2 ] } }\n  "
        #expect(try parse(Self.file(header: spaced, dataBytes: 2)).tensors.count == 1)
        for bad in [
            #"{"w\x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,        // unknown escape
            #"{"\ud83d":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,     // unpaired surrogate
            #"{"w":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}"#,        // leading zero
            #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,       // not an integer
            #"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},}"#,         // trailing comma
            #"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}} x"#,        // trailing text
            #"{"w":{"dtype":"F32","shape":tru,"data_offsets":[0,4]}}"#,         // bad literal
        ] {
            #expect(throws: RunnerError.self, "\(bad)") { try parse(Self.file(header: bad, dataBytes: 4)) }
        }
        let deep = "{\"w\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        expectError(Self.file(header: deep, dataBytes: 0), "nested deeper")
        let long = #"{"w":{"dtype":"F32","shape":["# + Array(repeating: "1", count: 2000).joined(separator: ",") + #"],"data_offsets":[0,4]}}"#
        expectError(Self.file(header: long, dataBytes: 4), "array longer than 1024")
    }

    @Test func rejectsBadTensorEntries() {
        expectError(Self.file(header: #"{"w":{"dtype":"F8_E3M4","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2), "tensor 'w'", "unknown dtype 'F8_E3M4'")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8), "tensor 'w'", "needs 12 bytes")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#, dataBytes: 8), "tensor 'w'", "shape[0]")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, dataBytes: 8), "overflows")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataBytes: 8), "end before they begin")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}"#, dataBytes: 8), "unknown field 'extra'")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[2]}}"#, dataBytes: 8), "data_offsets")
        expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999999]}}"#, dataBytes: 8), "data_offsets")
    }

    @Test func rejectsBadLayouts() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        expectError(Self.file(header: gap, dataBytes: 12), "tensor 'b'", "contiguous")
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectError(Self.file(header: overlap, dataBytes: 8), "contiguous")
        expectError(Self.file(header: Self.good, dataBytes: 10), "truncated")
        expectError(Self.file(header: Self.good, dataBytes: 12), "1 unexpected bytes after the last tensor")
    }

    @Test func everyTruncationFailsCleanly() throws {
        let full = [UInt8](try Fixtures.data("safetensors/several.safetensors"))
        _ = try parse(full)
        for length in 0 ..< full.count {
            #expect(throws: RunnerError.self, "truncated to \(length)") { try parse(Array(full.prefix(length))) }
        }
    }

    @Test func randomHeaderMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5AFE)
        let seed = [UInt8](try Fixtures.data("safetensors/several.safetensors"))
        let headerEnd = 8 + Int(seed[0]) + Int(seed[1]) << 8
        let interesting = Array("{}[]\":,0123456789-e. \\u".utf8)
        var parsed = 0, rejected = 0
        for _ in 0 ..< 3000 {
            var bytes = seed
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                let at = Int.random(in: 0 ..< headerEnd, using: &rng)
                switch Int.random(in: 0 ..< 4, using: &rng) {
                case 0: bytes[at] = interesting.randomElement(using: &rng)!
                case 1: bytes[at] ^= UInt8(1 << Int.random(in: 0 ..< 8, using: &rng))
                case 2: bytes[at] = UInt8.random(in: 0 ... 255, using: &rng)
                default:  // a digit somewhere: tweak offsets and shapes
                    if let digit = (at ..< headerEnd).first(where: { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }) {
                        bytes[digit] = UInt8.random(in: 0x30 ... 0x39, using: &rng)
                    }
                }
            }
            do {
                let file = try parse(bytes)
                parsed += 1
                for info in file.tensors {
                    #expect(info.fileOffset + info.byteCount <= bytes.count)
                    if info.dtype.isFloatingPoint { #expect(try file.floats(of: info).count == info.elementCount) }
                }
            } catch is RunnerError {
                rejected += 1
            }
        }
        #expect(parsed > 0 && rejected > 0, "parsed \(parsed), rejected \(rejected)")
    }

    @Test func rejectsInconsistentShardIndexes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard = Fixtures.url("safetensors/sharded/model-00001-of-00003.safetensors")
        try FileManager.default.copyItem(at: shard, to: dir.appendingPathComponent("s1.safetensors"))
        let shard3 = Fixtures.url("safetensors/sharded/model-00003-of-00003.safetensors")
        try FileManager.default.copyItem(at: shard3, to: dir.appendingPathComponent("s3.safetensors"))
        func index(_ map: String) throws -> URL {
            let url = dir.appendingPathComponent("model.safetensors.index.json")
            try Data(#"{"metadata":{"total_size":512},"weight_map":\#(map)}"#.utf8).write(to: url)
            return url
        }
        func expectCheckpointError(_ map: String, _ fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
            let url = try index(map)
            do {
                _ = try SafetensorsCheckpoint(at: dir)
                Issue.record("expected '\(fragment)'", sourceLocation: sourceLocation)
            } catch let error as RunnerError {
                #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
                #expect(error.context.hasSuffix(".safetensors") || error.context == url.path || error.context.contains("missing"), sourceLocation: sourceLocation)
            }
        }
        _ = try index(#"{"model.embed_tokens.weight":"s1.safetensors"}"#)
        #expect(try SafetensorsCheckpoint(at: dir).tensorNames == ["model.embed_tokens.weight"])
        try expectCheckpointError(#"{"model.embed_tokens.weight":"s1.safetensors","ghost":"s1.safetensors"}"#, "does not contain it")
        try expectCheckpointError(#"{"model.norm.weight":"s3.safetensors"}"#, "index does not list it")
        try expectCheckpointError(#"{"model.embed_tokens.weight":"../s1.safetensors"}"#, "not a plain file name")
        try expectCheckpointError(#"{"model.embed_tokens.weight":"s1.safetensors","model.embed_tokens.weight":"s1.safetensors"}"#, "duplicate key")
        try expectCheckpointError(#"{"model.embed_tokens.weight":"missing.safetensors"}"#, "cannot open")
        try expectCheckpointError(#"[]"#, "'weight_map' must be an object")
    }
}
