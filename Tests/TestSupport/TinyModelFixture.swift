// Shared by the test targets: where the package and the tiny random Llama fixture live, and the
// one-token-per-byte tokenizer.json that gives that model a vocabulary.
import Foundation

public enum TinyModelFixture {
    /// The package root (this file is Tests/TestSupport/TinyModelFixture.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// A tiny random Llama with tied embeddings in bf16 safetensors (256-token vocabulary).
    public static let directory = packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16")

    /// A byte-level BPE tokenizer.json without merges: one token per byte (id = byte value), exactly
    /// the tiny model's 256-token vocabulary. Bytes map to characters as GPT-2's `bytes_to_unicode`.
    public static func byteTokenizerJSON() throws -> Data {
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
}
