// The hostile GGUF and safetensors seeds of the fuzzers (fuzz/corpus/*/bad-*) as regression tests:
// each fails with exactly the error docs/RELIABILITY.md lists, and valid seeds still load.
import Basics
import Foundation
import Formats
import RunnerTestSupport
import Testing

struct HostileCorpusTests {
    @Test func hostileGGUFFilesFailAsDocumented() throws {
        try HostileTable.check("gguf") { data, name in
            let file = try GGUFFile(storage: FileBytes(copying: data, name: name))
            for tensor in file.tensors { _ = try file.dequantize(tensor) }
            return "\(file.metadata.count) keys, \(file.tensors.count) tensors"
        }
    }

    @Test func hostileSafetensorsFilesFailAsDocumented() throws {
        try HostileTable.check("safetensors") { data, name in
            let file = try SafetensorsFile(storage: FileBytes(copying: data, name: name))
            for tensor in file.tensors { _ = try file.floats(of: tensor) }
            return "\(file.tensors.count) tensors"
        }
    }

    @Test func validSeedsLoad() throws {
        let corpus = HostileTable.packageRoot.appendingPathComponent("fuzz/corpus")
        let gguf = try GGUFFile(contentsOf: corpus.appendingPathComponent("gguf/valid-tiny.gguf"))
        #expect(try gguf.dequantize("f32") == (0 ..< 8).map { Float($0) + 0.5 })
        #expect(try gguf.metadata.strings("tokenizer.ggml.tokens") == ["a", "b", "<s>"])
        let safetensors = try SafetensorsFile(contentsOf: corpus.appendingPathComponent("safetensors/valid-tiny.safetensors"))
        #expect(try safetensors.floats("a") == [0, 1, 2, 3, 4, 5])
        #expect(try safetensors.floats("b") == [1, 2])
    }
}
