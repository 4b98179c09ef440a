// Malformed and hostile GGUF input: each defect gets one clear RunnerError naming the file and
// the problem; random mutations and every truncation either parse or fail cleanly.
import Basics
import Foundation
import Formats
import Quant
import Testing

struct GGUFHostileInputTests {
    func parse(_ bytes: [UInt8]) throws -> GGUFFile {
        try GGUFFile(storage: FileBytes(copying: bytes, name: "hostile.gguf"))
    }

    /// Expects a RunnerError whose text names the file and contains `fragment`.
    func expectError(_ bytes: [UInt8], _ fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(bytes)
            Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
        } catch let error as RunnerError {
            #expect(error.context == "hostile.gguf", sourceLocation: sourceLocation)
            #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func validBuilderFileParses() throws {
        let file = try parse(GGUFBuilder.valid().bytes())
        #expect(file.tensors.map(\.name) == ["a", "b"])
        #expect(try file.dequantize("a") == (0 ..< 8).map { Float($0) + 0.5 })
        #expect(try file.dequantize("b") == [1, -2, 3])
        #expect(try file.metadata.strings("tokenizer.ggml.tokens") == ["a", "b"])
        var v2 = GGUFBuilder.valid()
        v2.version = 2  // same layout as v3 for little-endian files
        #expect(try parse(v2.bytes()).version == 2)
    }

    @Test func missingFilesAndDirectoriesAreNamedInErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.gguf")
        #expect(throws: RunnerError(missing.path, "cannot open file: No such file or directory", hint: "check the path")) {
            try GGUFFile(contentsOf: missing)
        }
        #expect(throws: RunnerError(dir.path, "not a regular file")) { try SafetensorsFile(contentsOf: dir) }
        let empty = dir.appendingPathComponent("empty.safetensors")
        #expect(FileManager.default.createFile(atPath: empty.path, contents: Data()))
        #expect(throws: RunnerError.self) { try SafetensorsFile(contentsOf: empty) }
        #expect(throws: RunnerError.self) { try GGUFFile(contentsOf: empty) }
    }

    @Test func rejectsBadMagicVersionAndEndianness() {
        var b = GGUFBuilder.valid()
        b.magic = Array("GGML".utf8)
        expectError(b.bytes(), "not a GGUF file")
        b = GGUFBuilder.valid(); b.version = 1
        expectError(b.bytes(), "version 1")
        b = GGUFBuilder.valid(); b.version = UInt32(3).byteSwapped
        expectError(b.bytes(), "big-endian")
        b = GGUFBuilder.valid(); b.version = 4
        expectError(b.bytes(), "unsupported GGUF version 4")
        expectError([], "too short")
        expectError(Array("GGUF".utf8), "too short")
    }

    @Test func rejectsCountsTheFileCannotHold() {
        var b = GGUFBuilder.valid()
        b.tensorCountOverride = UInt64.max
        expectError(b.bytes(), "tensor count")
        b = GGUFBuilder.valid(); b.kvCountOverride = 1 << 40
        expectError(b.bytes(), "metadata count")
        b = GGUFBuilder.valid()
        b.add("huge.array", type: 9, payload: GGUFBuilder.le(UInt32(10)) + GGUFBuilder.le(UInt64(1) << 50))
        expectError(b.bytes(), "huge.array")
        b = GGUFBuilder.valid()
        b.add("long.string", type: 8, payload: GGUFBuilder.le(UInt64.max))
        expectError(b.bytes(), "only")
    }

    @Test func rejectsDuplicatesAndBadValues() {
        var b = GGUFBuilder.valid()
        b.add("llama.block_count", u32: 3)
        expectError(b.bytes(), "duplicate metadata key 'llama.block_count'")
        b = GGUFBuilder.valid()
        b.addF32("a", dims: [1], values: [1])
        expectError(b.bytes(), "duplicate tensor name 'a'")
        b = GGUFBuilder.valid()
        b.add("bad.type", type: 13, payload: [0])
        expectError(b.bytes(), "unknown value type 13")
        b = GGUFBuilder.valid()
        b.add("bad.bool", type: 7, payload: [2])
        expectError(b.bytes(), "bad.bool")
        b = GGUFBuilder.valid()
        b.add("bad.utf8", type: 8, payload: GGUFBuilder.le(UInt64(2)) + [0xC3, 0x28])
        expectError(b.bytes(), "not valid UTF-8")
        b = GGUFBuilder.valid()
        var nested: [UInt8] = []
        for _ in 0 ..< 20 { nested += GGUFBuilder.le(UInt32(9)) + GGUFBuilder.le(UInt64(1)) }
        b.add("deep", type: 9, payload: nested + GGUFBuilder.le(UInt32(0)) + GGUFBuilder.le(UInt64(0)))
        expectError(b.bytes(), "nested deeper")
    }

    @Test func rejectsBadAlignment() {
        var b = GGUFBuilder.valid()
        b.add("general.alignment", u32: 24)
        expectError(b.bytes(), "power of two")
        b = GGUFBuilder.valid()
        b.add("general.alignment", string: "32")
        expectError(b.bytes(), "must be a uint32")
        b = GGUFBuilder.valid()
        b.add("general.alignment", u32: 0)
        expectError(b.bytes(), "power of two")
    }

    @Test func rejectsBadTensorInfos() {
        var b = GGUFBuilder.valid()
        b.tensors[0].dims = [1, 1, 1, 1, 8]
        expectError(b.bytes(), "5 dimensions")
        b = GGUFBuilder.valid(); b.tensors[0].dims = [8, 0]
        expectError(b.bytes(), "must be ≥ 1")
        b = GGUFBuilder.valid(); b.tensors[0].dims = [1 << 40, 1 << 40]
        expectError(b.bytes(), "overflows")
        b = GGUFBuilder.valid(); b.tensors[0].type = 5
        expectError(b.bytes(), "unknown ggml type 5")
        b = GGUFBuilder.valid(); b.tensors[0].type = GGMLType.q8_0.rawValue; b.tensors[0].dims = [16, 2]
        expectError(b.bytes(), "not a multiple of the block size 32")
        b = GGUFBuilder.valid(); b.tensors[1].offset = 4
        expectError(b.bytes(), "not a multiple of the alignment")
        b = GGUFBuilder.valid(); b.tensors[1].offset = 0
        expectError(b.bytes(), "overlap")
        b = GGUFBuilder.valid(); b.tensors[1].offset = 1 << 20
        expectError(b.bytes(), "past the end")
        b = GGUFBuilder.valid(); b.tensors[1].offset = UInt64.max - 31
        expectError(b.bytes(), "out of range")
        b = GGUFBuilder.valid(); b.tensors[0].name = String(repeating: "x", count: 64)
        expectError(b.bytes(), "at most 63")
    }

    @Test func everyTruncationFailsCleanly() throws {
        let full = GGUFBuilder.valid().bytes()
        _ = try parse(full)
        let lastTensorEnd = full.count  // the data ends exactly with the last tensor
        for length in 0 ..< lastTensorEnd {
            #expect(throws: RunnerError.self, "truncated to \(length) bytes") { try parse(Array(full.prefix(length))) }
        }
    }

    /// Random mutations of a valid file (bytes flipped, integers overwritten with extreme or nearby
    /// values, spans deleted or duplicated). Each mutant must parse — and then every tensor view
    /// lies in the file and dequantizes — or fail with a RunnerError.
    @Test func randomMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x6767_7566)
        let seeds = [GGUFBuilder.valid().bytes(), [UInt8](try Fixtures.data("gguf/small.gguf.bin"))]
        var parsed = 0, rejected = 0
        for iteration in 0 ..< 4000 {
            var bytes = seeds[iteration % seeds.count]
            let mutations = Int.random(in: 1 ... 3, using: &rng)
            for _ in 0 ..< mutations { mutate(&bytes, using: &rng) }
            do {
                let file = try parse(bytes)
                parsed += 1
                for info in file.tensors {
                    #expect(info.fileOffset + info.byteCount <= bytes.count)
                    if GGUFQuant.canDequantize(info.type), info.elementCount <= 1 << 20 {
                        #expect(try file.dequantize(info).count == info.elementCount)
                    }
                }
            } catch is RunnerError {
                rejected += 1
            }
        }
        #expect(parsed > 0 && rejected > 0, "parsed \(parsed), rejected \(rejected)")
    }

    func mutate(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        let at = Int.random(in: 0 ..< bytes.count, using: &rng)
        switch Int.random(in: 0 ..< 5, using: &rng) {
        case 0:
            bytes[at] ^= UInt8(1 << Int.random(in: 0 ..< 8, using: &rng))
        case 1:
            bytes[at] = UInt8.random(in: 0 ... 255, using: &rng)
        case 2:  // overwrite 8 bytes with an extreme or small integer
            let values: [UInt64] = [0, 1, 2, 3, 4, 5, 8, 31, 32, 33, 64, 255, 1 << 31, 1 << 32, 1 << 62, UInt64.max, UInt64.max - 7]
            let v = values.randomElement(using: &rng)!
            for (i, byte) in GGUFBuilder.le(v).enumerated() where at + i < bytes.count { bytes[at + i] = byte }
        case 3:
            bytes.removeSubrange(at ..< min(bytes.count, at + Int.random(in: 1 ... 16, using: &rng)))
        default:
            let span = bytes[at ..< min(bytes.count, at + Int.random(in: 1 ... 16, using: &rng))]
            bytes.insert(contentsOf: span, at: at)
        }
    }
}
