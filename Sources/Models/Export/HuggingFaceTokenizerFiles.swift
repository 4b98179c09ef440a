// Writes a GGUF tokenizer (`tokenizer.ggml.*` + `tokenizer.chat_template`) as the Hugging Face files
// transformers and `tokenizers` load — tokenizer.json, tokenizer_config.json, special_tokens_map.json —
// and checks that runner reads the written tokenizer.json back to exactly the GGUF tokenizer's ids.
import Basics
import Formats
import Foundation
import Tokenizer

public enum HuggingFaceTokenizerFiles {
    /// The files `write` creates.
    public static let fileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]

    /// Writes the tokenizer `metadata` describes (a model .gguf or a vocabulary-only tokenizer.gguf)
    /// into `directory`, with its chat template. `modelMaxLength`: the model's context length.
    ///
    /// - Throws: `RunnerError` naming the GGUF file and the `tokenizer.ggml.*` key runner cannot write
    ///   (an unknown pre-tokenizer, missing merges, …).
    public static func write(from metadata: GGUFMetadata, modelMaxLength: Int?, to directory: URL) throws {
        let description: TokenizerDescription
        do {
            description = try ModelBundle.tokenizerDescription(metadata)
        } catch let error as DiagnosticError {
            throw RunnerError(metadata.fileName, "its tokenizer cannot be read: \(error)")
        }
        try write(description, chatTemplate: try metadata.stringIfPresent("tokenizer.chat_template"),
                  modelMaxLength: modelMaxLength, source: metadata.fileName, to: directory)
    }

    /// Writes `description` (read from `source`, named in errors) into `directory`.
    public static func write(_ description: TokenizerDescription, chatTemplate: String?, modelMaxLength: Int?,
                             source: String, to directory: URL) throws {
        let files = try make(description, chatTemplate: chatTemplate, modelMaxLength: modelMaxLength, source: source)
        for (name, data) in files {
            try AtomicFile.write(data, to: directory.appendingPathComponent(name))
        }
    }

    /// The files' contents by name, checked against runner's own reading of `description`.
    static func make(_ description: TokenizerDescription, chatTemplate: String?, modelMaxLength: Int?,
                     source: String) throws -> [(String, Data)] {
        // What tokenizer.json cannot say is named first; then the metadata must make a tokenizer at
        // all (ids in range, merges of known tokens).
        try HuggingFaceTokenizerJSON.checkWritable(description, file: source)
        let reference: Tokenizer
        do {
            reference = try Tokenizer(description: description)
        } catch let error as DiagnosticError {
            throw RunnerError(source, "its tokenizer metadata is inconsistent: \(error)")
        }
        let (json, added) = try HuggingFaceTokenizerJSON.make(description, file: source)
        let tokenizerJSON = json.fileData()
        let written: Tokenizer
        do {
            written = try Tokenizer(tokenizerJSON: tokenizerJSON, file: "tokenizer.json (written for \(source))")
        } catch {
            throw RunnerError(source, "the tokenizer.json written for it does not load: \(error)",
                              hint: "this is a bug in runner's tokenizer export; please report it with the GGUF file")
        }
        if let mismatch = TokenizerProbe.firstMismatch(written, reference) {
            throw RunnerError(source, "the tokenizer.json written for it encodes differently: \(mismatch)",
                              hint: "this is a bug in runner's tokenizer export; please report it with the GGUF file")
        }
        return [
            ("tokenizer.json", tokenizerJSON),
            ("tokenizer_config.json", HuggingFaceTokenizerConfig.make(description, added: added, chatTemplate: chatTemplate,
                                                                      modelMaxLength: modelMaxLength).fileData()),
            ("special_tokens_map.json", HuggingFaceTokenizerConfig.specialTokensMap(description, added: added).fileData()),
        ]
    }
}
