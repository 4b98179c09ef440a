// Loading tokenizer.json: the same HF parity through the JSON path (files written here from the GGUF
// vocabularies in the layouts the Hub uses), both merge spellings, and the Llama 2 legacy pipeline.

import Foundation
import Testing
@testable import Tokenizer

/// `text` as a JSON string literal.
func jsonLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A tokenizer.json in the Hub's layout, from a vocabulary and merges. The vocabulary is written by
/// hand: a Swift dictionary would merge canonically equivalent tokens.
func tokenizerJSON(vocab: [String], merges: [(String, String)], pairMerges: Bool, added: [AddedToken],
                   normalizer: Any, preTokenizer: Any, postProcessor: Any, decoder: Any, model extra: [String: Any]) throws -> Data {
    let placeholder = "@VOCAB@"
    var model: [String: Any] = ["type": "BPE", "dropout": NSNull(), "continuing_subword_prefix": NSNull(),
                                "end_of_word_suffix": NSNull(), "vocab": placeholder,
                                "merges": merges.map { pairMerges ? [$0.0, $0.1] as Any : "\($0.0) \($0.1)" as Any }]
    model.merge(extra) { _, new in new }
    let root: [String: Any] = [
        "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
        "added_tokens": added.map { ["id": Int($0.id), "content": $0.content, "single_word": false, "lstrip": false,
                                     "rstrip": false, "normalized": false, "special": $0.special] },
        "normalizer": normalizer, "pre_tokenizer": preTokenizer, "post_processor": postProcessor, "decoder": decoder, "model": model,
    ]
    let text = String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self)
    let vocabText = "{" + vocab.enumerated().map { "\(jsonLiteral($1)): \($0)" }.joined(separator: ", ") + "}"
    return Data(text.replacingOccurrences(of: jsonLiteral(placeholder), with: vocabText).utf8)
}

@Suite struct TokenizerJSONTests {
    /// SmolLM2's tokenizer.json layout: Digits(individual) + ByteLevel, ByteLevel decoder.
    func smolJSON(pairMerges: Bool) throws -> Data {
        let description = try Shared.smolDescription.get()
        let specials = (0..<17).map { AddedToken(id: Int32($0), content: description.tokens[$0], special: true) }
        return try tokenizerJSON(
            vocab: description.tokens, merges: try #require(description.merges).map { try #require(splitMerge($0)) },
            pairMerges: pairMerges, added: specials, normalizer: NSNull(),
            preTokenizer: ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]]],
            postProcessor: ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true],
            decoder: ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            model: ["unk_token": NSNull(), "fuse_unk": false, "byte_fallback": false])
    }

    @Test(arguments: [false, true])
    func smolLM2FromTokenizerJSON(pairMerges: Bool) throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try smolJSON(pairMerges: pairMerges))
        expectParity(tokenizer, try Fixtures.load("smollm2.json", as: ParityFixture.self))
    }

    /// Llama's SentencePiece vocabulary with a TemplateProcessing BOS and either Llama 2's legacy
    /// normalizer or transformers' Metaspace(prepend_scheme: first).
    func llamaJSON(legacy: Bool) throws -> Data {
        let description = try Shared.llamaDescription.get()
        let merges = mergesFromScores(tokens: description.tokens, scores: try #require(description.scores))
        let specials = (0..<3).map { AddedToken(id: Int32($0), content: description.tokens[$0], special: true) }
        let normalizer: Any = legacy
            ? ["type": "Sequence", "normalizers": [["type": "Prepend", "prepend": "▁"],
                                                   ["type": "Replace", "pattern": ["String": " "], "content": "▁"]]]
            : NSNull()
        let preTokenizer: Any = legacy ? NSNull() : ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false]
        return try tokenizerJSON(
            vocab: description.tokens, merges: merges, pairMerges: false, added: specials, normalizer: normalizer,
            preTokenizer: preTokenizer,
            postProcessor: ["type": "TemplateProcessing",
                            "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                            "pair": [] as [Any],
                            "special_tokens": ["<s>": ["id": "<s>", "ids": [1], "tokens": ["<s>"]]]],
            decoder: ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "▁"], "content": " "], ["type": "ByteFallback"], ["type": "Fuse"],
                ["type": "Strip", "content": " ", "start": 1, "stop": 0]]],
            model: ["unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true])
    }

    @Test func llamaLegacyFromTokenizerJSON() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try llamaJSON(legacy: true))
        #expect(tokenizer.bosTokenId == 1)
        expectParity(tokenizer, try Fixtures.load("llama_spm_legacy.json", as: ParityFixture.self))
    }

    @Test func llamaMetaspaceFromTokenizerJSON() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try llamaJSON(legacy: false))
        expectParity(tokenizer, try Fixtures.load("llama_spm.json", as: ParityFixture.self))
    }

    @Test func loadsFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString).json")
        try smolJSON(pairMerges: false).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let tokenizer = try Tokenizer(contentsOf: url)
        #expect(tokenizer.encode("Hello world") == [19556, 905])
    }
}

/// Small tokenizers trained and saved by Hugging Face itself: NFC, added-token flags, ignore_merges,
/// Metaspace with split and byte fallback.
@Suite struct TrainedTokenizerJSONTests {
    @Test(arguments: ["tiny_qwen2", "tiny_llama3", "tiny_metaspace"])
    func matchesHuggingFace(_ name: String) throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.directory.appendingPathComponent("\(name).tokenizer.json"))
        expectParity(tokenizer, try Fixtures.load("\(name).json", as: ParityFixture.self))
    }

    @Test func tokenBytesSpellTheText() throws {
        for name in ["tiny_qwen2", "tiny_metaspace"] {
            let tokenizer = try Tokenizer(contentsOf: Fixtures.directory.appendingPathComponent("\(name).tokenizer.json"))
            let text = "Hello world, café 123"
            let bytes = tokenizer.encode(text, addSpecialTokens: false).flatMap { tokenizer.tokenBytes($0) ?? [] }
            let expected = name == "tiny_metaspace" ? " " + text : text  // Metaspace prepends a space
            #expect(String(decoding: bytes, as: UTF8.self) == expected, "\(name)")
        }
        let smol = try Shared.smol.get()
        let text = "Grüße 👨‍👩‍👧 <|im_start|>user\n  x"
        #expect(String(decoding: smol.encode(text).flatMap { smol.tokenBytes($0)! }, as: UTF8.self) == text)
        #expect(smol.tokenBytes(-1) == nil)
    }

    @Test func invalidUTF8IsRepairedNotFatal() throws {
        let smol = try Shared.smol.get()
        let bytes: [UInt8] = [0x48, 0x69, 0xF0, 0x9F, 0x20, 0xE2, 0x82]  // "Hi", a cut emoji, " ", a cut "€"
        let ids = bytes.withUnsafeBufferPointer { smol.encode(utf8: $0) }
        #expect(ids == smol.encode(String(decoding: bytes, as: UTF8.self)))
        #expect(smol.decode(ids) == "Hi\u{FFFD} \u{FFFD}")
    }
}
