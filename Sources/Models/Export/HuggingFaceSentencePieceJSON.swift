// tokenizer.json for a SentencePiece-style GGUF vocabulary (`tokenizer.ggml.model` "llama", e.g.
// Llama 2): BPE over characters with byte fallback, merges recovered from the scores, Metaspace
// (prefix space as `add_space_prefix` says) and the matching decoder — as transformers builds it.
import Basics
import Tokenizer

enum HuggingFaceSentencePieceJSON {
    /// - Throws: `RunnerError` naming `file` and the missing or inconsistent `tokenizer.ggml.*` key.
    static func make(_ d: TokenizerDescription, file: String) throws -> (json: OrderedJSON, added: [ExportedAddedToken]) {
        let merges: [String]
        if let given = d.merges, !given.isEmpty {
            merges = try HuggingFaceTokenizerJSON.checkedMerges(given, file: file)
        } else {
            try HuggingFaceTokenizerJSON.checkWritable(d, file: file)
            merges = try mergesFromScores(tokens: d.tokens, scores: d.scores ?? []).map { left, right in
                guard !left.contains(" "), !right.contains(" ") else {
                    throw RunnerError(file, "token \((left + right).debugDescription) contains a space, which tokenizer.json merges cannot spell",
                                      hint: "SentencePiece vocabularies spell spaces as \"\u{2581}\"")
                }
                return "\(left) \(right)"
            }
        }
        var vocabulary: [(String, OrderedJSON)] = []
        var owner: [[UInt8]: Int] = [:]
        for (id, token) in d.tokens.enumerated() {
            if let other = owner.updateValue(id, forKey: Array(token.utf8)) {
                throw RunnerError(file, "tokenizer.ggml.tokens[\(id)] repeats token \(other) (\(token.debugDescription))",
                                  hint: "each token of the vocabulary must be distinct")
            }
            vocabulary.append((token, .int(id)))
        }
        let model: OrderedJSON = .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", d.unknownTokenId.map { .string(d.tokens[$0]) } ?? .null),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(true)),
            ("byte_fallback", .bool(true)), ("ignore_merges", .bool(false)),
            ("vocab", .object(vocabulary)), ("merges", .array(merges.map(OrderedJSON.string))),
        ])
        let addPrefix = d.addSpacePrefix ?? true
        let metaspace = "\u{2581}"
        let preTokenizer: OrderedJSON = .object([("type", .string("Metaspace")), ("replacement", .string(metaspace)),
                                                 ("prepend_scheme", .string(addPrefix ? "first" : "never")), ("split", .bool(false))])
        var decoders: [OrderedJSON] = [
            .object([("type", .string("Replace")), ("pattern", .object([("String", .string(metaspace))])), ("content", .string(" "))]),
            .object([("type", .string("ByteFallback"))]),
            .object([("type", .string("Fuse"))]),
        ]
        if addPrefix {
            decoders.append(.object([("type", .string("Strip")), ("content", .string(" ")), ("start", .int(1)), ("stop", .int(0))]))
        }
        let added = HuggingFaceTokenizerJSON.addedTokens(d, isText: { _ in true })
        let json = HuggingFaceTokenizerJSON.document(
            added: added, normalizer: .null, preTokenizer: preTokenizer,
            postProcessor: HuggingFaceTokenizerJSON.postProcessor(d, addBosByDefault: true),
            decoder: .object([("type", .string("Sequence")), ("decoders", .array(decoders))]), model: model)
        return (json, added)
    }
}
