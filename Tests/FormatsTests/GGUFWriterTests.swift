// The GGUF writer reproduces gguf.GGUFWriter's bytes exactly, and what it writes reads back.
import struct Basics.SplitMix64
import Foundation
import Formats
import Quant
import Testing

struct GGUFWriterTests {
    /// Re-encodes the GGUFWriter-made fixture from its parsed contents: identical bytes.
    @Test func rewritesTheGGUFPackageFileByteForByte() throws {
        let reference = try Fixtures.data("gguf/small.gguf.bin")
        let file = try GGUFFile(contentsOf: Fixtures.url("gguf/small.gguf.bin"))
        var writer = try GGUFWriter(architecture: try #require(file.architecture))
        for (key, value) in file.metadata.entries { try writer.set(key, value) }
        for info in file.tensors {
            try writer.addTensor(info.name, type: info.type, dimensions: info.dimensions, data: Data(file.bytes(of: info)))
        }
        let written = writer.encode()
        #expect(written == reference, "Swift wrote \(written.count) bytes, gguf wrote \(reference.count)")
    }

    @Test func quantizedTensorsRoundTripThroughAFile() throws {
        var rng = SplitMix64(seed: 7)
        let values = (0 ..< 64 * 3).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        var writer = try GGUFWriter(architecture: "llama", alignment: 64)
        try writer.set("tokenizer.ggml.tokens", .array(.string(["<s>", "Ġhi"])))
        try writer.set("llama.block_count", .uint32(2))
        try writer.set("llama.block_count", .uint32(3))  // replaces in place
        for type in [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1] {
            try writer.addTensor("w.\(type)", type: type, dimensions: [64, 3], data: Data(try GGUFQuant.quantize(type, values)))
        }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.gguf")
        try writer.write(to: url)
        let file = try GGUFFile(contentsOf: url)
        #expect(file.alignment == 64)
        #expect(try file.metadata.int("llama.block_count") == 3)
        #expect(file.metadata.keys == ["general.architecture", "general.alignment", "tokenizer.ggml.tokens", "llama.block_count"])
        #expect(try file.metadata.strings("tokenizer.ggml.tokens") == ["<s>", "Ġhi"])
        for info in file.tensors {
            #expect(info.shape == [3, 64])
            #expect(info.fileOffset % 64 == 0)
            let expected = try GGUFQuant.quantize(info.type, values)
            #expect(Array(file.bytes(of: info)) == expected, "\(info.name)")
        }
    }

    @Test func rejectsInvalidTensorsAndValues() throws {
        var writer = try GGUFWriter(architecture: "llama")
        #expect(throws: (any Error).self) { try writer.set("", .uint8(1)) }
        #expect(throws: (any Error).self) { try writer.addTensor("x", type: .f32, dimensions: [2], data: Data(count: 4)) }
        #expect(throws: (any Error).self) { try writer.addTensor("x", type: .q8_0, dimensions: [16], data: Data(count: 17)) }
        #expect(throws: (any Error).self) { try writer.addTensor("x", type: .f32, dimensions: [1, 1, 1, 1, 1], data: Data(count: 4)) }
        try writer.addTensor("x", type: .f32, dimensions: [1], data: Data(count: 4))
        #expect(throws: (any Error).self) { try writer.addTensor("x", type: .f32, dimensions: [1], data: Data(count: 4)) }
        #expect(throws: (any Error).self) { try GGUFWriter(architecture: "llama", alignment: 48) }
    }
}
