// The tokenizer.json / tokenizer_config.json runner writes for a GGUF vocabulary: on the real
// SmolLM2 GGUF (byte-level BPE) and llama.cpp's Llama SentencePiece vocabulary, the written file is
// the one tools/reference/tokenizer_json_fixtures.py checked against `tokenizers` and transformers
// (same sha256), and runner reading it back gives the reference ids; bad metadata gets clear errors.
import Basics
import Formats
import Foundation
import Models
import Testing
import Tokenizer

@Suite struct HuggingFaceTokenizerFilesTests {
    static let referenceURL = Paths.fixtures.appendingPathComponent("tokenizer_json/reference.json")
    static let llamaVocabulary = Paths.packageRoot.appendingPathComponent("Tests/TokenizerTests/Fixtures/ggml-vocab-llama-spm.gguf")

    /// Writes the tokenizer files of `gguf` into a fresh directory — kept under
    /// `$RUNNER_TOKENIZER_JSON_OUT/<name>` when set, for the reference script — and runs `body` on it.
    func withWrittenFiles(of gguf: URL, name: String, _ body: (URL, GGUFFile) throws -> Void) throws {
        let file = try GGUFFile(contentsOf: gguf)
        let keep = ProcessInfo.processInfo.environment["RUNNER_TOKENIZER_JSON_OUT"].map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
        let directory = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
        let context = try? LlamaConfig.fromGGUF(file).maxPositionEmbeddings
        try HuggingFaceTokenizerFiles.write(from: file.metadata, modelMaxLength: context, to: directory)
        try body(directory, file)
    }

    /// The reference case `name` of the fixture.
    func reference(_ name: String) throws -> [String: Any] {
        let root = try loadJSON(Self.referenceURL)
        return try #require(root[name] as? [String: Any], "reference.json has no \(name): run tools/reference/tokenizer_json_fixtures.py")
    }

    /// runner's reading of the written tokenizer.json gives the reference ids (with and without
    /// special tokens) and the GGUF tokenizer's ids, and the file is the one the script checked.
    func checkIds(_ directory: URL, _ gguf: GGUFFile, _ expected: [String: Any]) throws {
        let json = try Data(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        #expect(Digest.sha256Hex(json) == expected["tokenizer_json_sha256"] as? String,
                "tokenizer.json is not the file tools/reference/tokenizer_json_fixtures.py checked: rerun it")
        let written = try Tokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        let fromGGUF = try Tokenizer(description: ModelBundle.tokenizerDescription(gguf.metadata))
        let cases = try #require(expected["cases"] as? [[String: Any]])
        #expect(cases.count >= 20)
        for item in cases {
            let text = try #require(item["text"] as? String)
            let plain = ints(item["ids"]), special = ints(item["ids_with_special"])
            #expect(written.encode(text, addSpecialTokens: false) == plain, "\(text.debugDescription)")
            #expect(written.encode(text, addSpecialTokens: true) == special, "\(text.debugDescription) with special tokens")
            #expect(fromGGUF.encode(text, addSpecialTokens: true) == special, "GGUF tokenizer on \(text.debugDescription)")
            #expect(written.decode(plain) == item["decoded"] as? String, "decode \(text.debugDescription)")
        }
    }

    @Test func smolLM2TokenizerJSONGivesTransformersIds() throws {
        let gguf = try Paths.requireSmolLM2()
        try withWrittenFiles(of: gguf, name: "smollm2") { directory, file in
            let expected = try reference("smollm2")
            try checkIds(directory, file, expected)
            // The chat template's output, as transformers renders it from the written directory.
            let written = try Tokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
            let chats = try #require(expected["chats"] as? [[String: Any]])
            #expect(!chats.isEmpty)
            for chat in chats {
                let text = try #require(chat["text"] as? String)
                #expect(written.encode(text, addSpecialTokens: false) == ints(chat["ids"]), "\(text.prefix(60).debugDescription)")
            }

            let config = try loadJSON(directory.appendingPathComponent("tokenizer_config.json"))
            #expect(config["chat_template"] as? String == (try file.metadata.string("tokenizer.chat_template")))
            #expect(config["bos_token"] as? String == "<|im_start|>" && config["eos_token"] as? String == "<|im_end|>")
            #expect(config["pad_token"] as? String == "<|im_end|>" && config["unk_token"] as? String == "<|endoftext|>")
            #expect(config["model_max_length"] as? Int == 8192)
            #expect(config["add_bos_token"] as? Bool == false && config["clean_up_tokenization_spaces"] as? Bool == false)
            let decoder = try #require(config["added_tokens_decoder"] as? [String: [String: Any]])
            #expect(decoder.count == 17 && decoder.values.allSatisfy { $0["special"] as? Bool == true })
            #expect(decoder["1"]?["content"] as? String == "<|im_start|>")

            // runner re-opens the directory with this tokenizer and template.
            let map = try loadJSON(directory.appendingPathComponent("special_tokens_map.json"))
            #expect(map["eos_token"] as? String == "<|im_end|>")
        }
    }

    @Test func llamaSentencePieceVocabularyGivesTransformersIds() throws {
        try withWrittenFiles(of: Self.llamaVocabulary, name: "llama_spm") { directory, file in
            try checkIds(directory, file, try reference("llama_spm"))
            let config = try loadJSON(directory.appendingPathComponent("tokenizer_config.json"))
            #expect(config["add_bos_token"] as? Bool == true && config["bos_token"] as? String == "<s>")
            #expect(config["chat_template"] == nil)
        }
    }

    // MARK: - Bad input

    /// A small valid byte-level description to break.
    func tinyDescription() -> TokenizerDescription {
        TokenizerDescription(model: .gpt2, preTokenizer: "smollm", tokens: ["a", "b", "ab", "<|end|>"], merges: ["a b"],
                             tokenTypes: [1, 1, 1, 3], eosTokenId: 3)
    }

    func writeError(_ description: TokenizerDescription) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try HuggingFaceTokenizerFiles.write(description, chatTemplate: nil, modelMaxLength: nil, source: "models/x.gguf", to: directory)
        } catch {
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "nothing is written on error")
            return String(describing: error)
        }
        Issue.record("expected an error")
        return ""
    }

    @Test func tinyDescriptionWritesAndReadsBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var description = tinyDescription()
        description.addEosToken = true
        try HuggingFaceTokenizerFiles.write(description, chatTemplate: "{{ messages }}", modelMaxLength: 64, source: "models/x.gguf", to: directory)
        let tokenizer = try Tokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        #expect(tokenizer.encode("ab<|end|>ba", addSpecialTokens: true) == [2, 3, 1, 0, 3])
        #expect(tokenizer.encode("aab", addSpecialTokens: false) == [0, 2])
        let config = try loadJSON(directory.appendingPathComponent("tokenizer_config.json"))
        #expect(config["add_eos_token"] as? Bool == true && config["eos_token"] as? String == "<|end|>")
        #expect(config["chat_template"] as? String == "{{ messages }}" && config["model_max_length"] as? Int == 64)
    }

    @Test func unknownPreTokenizerIsNamed() throws {
        var description = tinyDescription()
        description.preTokenizer = "tekken"
        let message = try writeError(description)
        #expect(message.contains("models/x.gguf") && message.contains("tokenizer.ggml.pre \"tekken\""), "\(message)")
        #expect(message.contains("smollm") && message.contains("llama-bpe"), "lists the supported names: \(message)")
    }

    @Test func missingMergesAreNamed() throws {
        var description = tinyDescription()
        description.merges = nil
        let message = try writeError(description)
        #expect(message.contains("models/x.gguf") && message.contains("tokenizer.ggml.merges"), "\(message)")
    }

    @Test func mergeOfUnknownTokensIsNamed() throws {
        var description = tinyDescription()
        description.merges = ["a b", "b c"]
        let message = try writeError(description)
        #expect(message.contains("models/x.gguf") && message.contains("tokenizer.ggml.merges"), "\(message)")
    }

    @Test func sentencePieceWithoutScoresIsNamed() throws {
        let description = TokenizerDescription(model: .llama, tokens: ["<unk>", "<s>", "</s>", "\u{2581}a"], unknownTokenId: 0)
        let message = try writeError(description)
        #expect(message.contains("models/x.gguf") && message.contains("tokenizer.ggml.scores"), "\(message)")
    }
}
