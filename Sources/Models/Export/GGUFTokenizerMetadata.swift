// The tokenizer metadata of an exported GGUF (`tokenizer.ggml.*`, `tokenizer.chat_template`): taken
// verbatim from a GGUF source (or the vocabulary-only tokenizer.gguf a load artifact keeps), or
// built from tokenizer.json. Either way it is checked to rebuild a tokenizer that gives the same ids.
import Basics
import Formats
import Foundation
import Tokenizer

enum GGUFTokenizerMetadata {
    /// The tokenizer entries for `bundle`, in the converter's order, with its chat template.
    static func entries(for bundle: ModelBundle) throws -> [(String, GGUFValue)] {
        var entries: [(String, GGUFValue)]
        if let gguf = try vocabularyGGUF(of: bundle) {
            entries = gguf.metadata.entries.filter { $0.key.hasPrefix("tokenizer.") }.map { ($0.key, $0.value) }
            let count = try gguf.metadata.strings("tokenizer.ggml.tokens").count
            guard count == bundle.config.vocabSize else {
                throw RunnerError(gguf.fileName, "has \(count) tokens for \(bundle.config.vocabSize) embedding rows",
                                  hint: "the tokenizer and the model's vocab_size disagree")
            }
        } else {
            let description = try TokenizerJSONDescription.describe(directory: bundle.location, vocabSize: bundle.config.vocabSize,
                                                                    config: bundle.config)
            entries = Self.entries(description)
        }
        entries.removeAll { $0.0 == "tokenizer.chat_template" }
        if let template = bundle.chatTemplate { entries.append(("tokenizer.chat_template", .string(template))) }
        return entries
    }

    /// A GGUF file that carries the bundle's tokenizer: the bundle itself, or its tokenizer.gguf
    /// when it has no tokenizer.json.
    private static func vocabularyGGUF(of bundle: ModelBundle) throws -> GGUFFile? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        _ = fm.fileExists(atPath: bundle.location.path, isDirectory: &isDirectory)
        if !isDirectory.boolValue { return try GGUFFile(contentsOf: bundle.location) }
        if fm.fileExists(atPath: bundle.location.appendingPathComponent("tokenizer.json").path) { return nil }
        let vocabulary = bundle.location.appendingPathComponent(ModelBundle.vocabularyFileName)
        return fm.fileExists(atPath: vocabulary.path) ? try GGUFFile(contentsOf: vocabulary) : nil
    }

    /// `description` as `tokenizer.ggml.*` entries (ids as uint32, flags as bool, types as int32).
    static func entries(_ d: TokenizerDescription) -> [(String, GGUFValue)] {
        var out: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string(d.model.rawValue)),
            ("tokenizer.ggml.pre", .string(d.preTokenizer)),
            ("tokenizer.ggml.tokens", .array(.string(d.tokens))),
        ]
        if let scores = d.scores { out.append(("tokenizer.ggml.scores", .array(.float32(scores)))) }
        if let types = d.tokenTypes { out.append(("tokenizer.ggml.token_type", .array(.int32(types)))) }
        if let merges = d.merges, !merges.isEmpty { out.append(("tokenizer.ggml.merges", .array(.string(merges)))) }
        for (key, id) in [("bos_token_id", d.bosTokenId), ("eos_token_id", d.eosTokenId),
                          ("unknown_token_id", d.unknownTokenId), ("padding_token_id", d.paddingTokenId)] {
            if let id { out.append(("tokenizer.ggml.\(key)", .uint32(UInt32(id)))) }
        }
        if let flag = d.addBosToken { out.append(("tokenizer.ggml.add_bos_token", .bool(flag))) }
        if let flag = d.addEosToken { out.append(("tokenizer.ggml.add_eos_token", .bool(flag))) }
        if let flag = d.addSpacePrefix { out.append(("tokenizer.ggml.add_space_prefix", .bool(flag))) }
        return out
    }
}
