// Support for the quantize/train stage tests: a project holding the tiny random Llama of
// Tests/ModelsTests/Fixtures/tiny (with a one-token-per-byte tokenizer.json), run in-process
// through the real compiler and executor into a private cache.
import Foundation
import Pipeline
import Recipe
import Stages
import Testing

enum QuantizeSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tinyModel = packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/quantize")

    /// A byte-level BPE tokenizer.json without merges: token id = byte value, the tiny model's
    /// 256-token vocabulary (bytes map to characters as GPT-2's `bytes_to_unicode`).
    static func byteTokenizerJSON() throws -> Data {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var characters = printable
        var extra = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
        }
        var vocab: [String: Int] = [:]
        for (byte, scalar) in zip(printable, characters) { vocab[String(UnicodeScalar(UInt32(scalar))!)] = byte }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let json: [String: Any] = [
            "version": "1.0", "added_tokens": [[String: Any]](), "normalizer": NSNull(), "pre_tokenizer": byteLevel,
            "post_processor": NSNull(), "decoder": byteLevel,
            "model": ["type": "BPE", "vocab": vocab, "merges": [String](), "ignore_merges": false, "byte_fallback": false, "fuse_unk": false],
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    /// A fresh project directory with `model/` (the tiny Llama, or the files of `modelFrom`) and `data.jsonl`.
    static func project(modelFrom: URL = tinyModel) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runner-quantize-\(UUID().uuidString)")
        let model = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: modelFrom.appendingPathComponent(name), to: model.appendingPathComponent(name))
        }
        try byteTokenizerJSON().write(to: model.appendingPathComponent("tokenizer.json"))
        let colors = ["red", "green", "blue", "black", "white", "amber", "violet", "grey"]
        let lines = colors.map { #"{"prompt": "Q: favorite color? A:", "completion": " \#($0) is nice"}"# }
        try (lines.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("data.jsonl"), atomically: true, encoding: .utf8)
        return root
    }

    /// Compiles `recipe` (the YAML text after `stages:`'s parent lines) in `project` and applies it.
    static func apply(_ stages: String, in project: URL) throws -> (RunRecord, ArtifactStore) {
        let url = project.appendingPathComponent("recipe.yaml")
        try ("version: 1\nname: quantize-test\nseed: 7\nstages:\n" + stages).write(to: url, atomically: true, encoding: .utf8)
        let compiled = try RecipeLoader.compile(file: url)
        let store = ArtifactStore(root: project.appendingPathComponent(".cache"))
        let record = try Executor(store: store, registry: Stages.builtinRegistry).apply(compiled)
        return (record, store)
    }

    /// The published artifact directory of stage `name`.
    static func artifact(_ name: String, _ record: RunRecord, _ store: ArtifactStore) throws -> URL {
        let stage = try #require(record.stages.first { $0.name == name }, "stage \(name) not in the run")
        return try #require(store.lookup(stage.key), "stage \(name) published nothing: \(stage.error ?? "")").data
    }
}
