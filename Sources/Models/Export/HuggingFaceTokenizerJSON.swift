// tokenizer.json from a GGUF tokenizer description (`tokenizer.ggml.*`): the BPE model with the
// vocabulary in id order and the merges, the pre-tokenizer `tokenizer.ggml.pre` names, the added
// tokens CONTROL/USER_DEFINED mark, a post-processor adding BOS/EOS as the flags say, and the decoder.
import Basics
import Tokenizer

/// A token matched whole in text, as tokenizer.json's `added_tokens` and tokenizer_config.json's
/// `added_tokens_decoder` list it.
struct ExportedAddedToken: Equatable {
    var id: Int
    var content: String
    var special: Bool
}

enum HuggingFaceTokenizerJSON {
    /// tokenizer.json for `d` and the added tokens it declares. `file` names the source in errors.
    ///
    /// - Throws: `RunnerError` naming `file` and the `tokenizer.ggml.*` key that cannot be written.
    static func make(_ d: TokenizerDescription, file: String) throws -> (json: OrderedJSON, added: [ExportedAddedToken]) {
        switch d.model {
        case .gpt2: return try byteLevel(d, file: file)
        case .llama: return try HuggingFaceSentencePieceJSON.make(d, file: file)
        }
    }

    /// Throws the error `make` would for a part of `d` tokenizer.json cannot express, before
    /// anything else looks at `d`: an unknown pre-tokenizer, missing merges or scores.
    static func checkWritable(_ d: TokenizerDescription, file: String) throws {
        switch d.model {
        case .gpt2: _ = try byteLevelParts(d, file: file)
        case .llama:
            guard d.merges?.isEmpty == false || d.scores?.count == d.tokens.count else {
                throw RunnerError(file, "tokenizer.ggml.scores is missing or has \(d.scores?.count ?? 0) entries for \(d.tokens.count) tokens",
                                  hint: "a llama (SentencePiece) vocabulary needs one score per token to recover its merges")
            }
        }
    }

    /// The pre-tokenizer family and merges of a byte-level description.
    private static func byteLevelParts(_ d: TokenizerDescription, file: String) throws -> (HuggingFacePreTokenizer.Family, [String]) {
        guard let family = HuggingFacePreTokenizer.family(of: d.preTokenizer) else {
            throw RunnerError(file, "tokenizer.ggml.pre \"\(d.preTokenizer)\" has no tokenizer.json pre-tokenizer runner can write",
                              hint: "supported: \(HuggingFacePreTokenizer.supportedNames.joined(separator: ", "))")
        }
        guard let merges = d.merges, !merges.isEmpty else {
            throw RunnerError(file, "tokenizer.ggml.merges is missing: a gpt2 (byte-level BPE) tokenizer needs its merges",
                              hint: "the GGUF file is incomplete; convert the model again with llama.cpp's convert_hf_to_gguf.py")
        }
        return (family, merges)
    }

    /// Byte-level BPE (`tokenizer.ggml.model` "gpt2").
    private static func byteLevel(_ d: TokenizerDescription, file: String) throws -> (json: OrderedJSON, added: [ExportedAddedToken]) {
        let (family, merges) = try byteLevelParts(d, file: file)
        let added = addedTokens(d, isText: { ByteLevelSpelling.isSpelled($0) })

        // The vocabulary spelled in the byte alphabet (a token stored as raw text is respelled by its
        // UTF-8 bytes, as transformers does); two ids may not share a spelling.
        var vocabulary: [(String, OrderedJSON)] = []
        vocabulary.reserveCapacity(d.tokens.count)
        var owner: [String: Int] = [:]
        for (id, token) in d.tokens.enumerated() {
            let piece = ByteLevelSpelling.isSpelled(token) ? token : ByteLevelSpelling.spell(token)
            if let other = owner.updateValue(id, forKey: piece) {
                throw RunnerError(file, "tokenizer.ggml.tokens[\(id)] spells the same bytes as token \(other) (\(piece.debugDescription))",
                                  hint: "a byte-level vocabulary needs one spelling per token")
            }
            vocabulary.append((piece, .int(id)))
        }
        let model: OrderedJSON = .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
            ("byte_fallback", .bool(false)), ("ignore_merges", .bool(HuggingFacePreTokenizer.ignoresMerges(family))),
            ("vocab", .object(vocabulary)), ("merges", .array(try checkedMerges(merges, file: file).map(OrderedJSON.string))),
        ])
        let decoder: OrderedJSON = .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)),
                                            ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])
        let json = document(added: added, normalizer: .null, preTokenizer: HuggingFacePreTokenizer.json(family),
                            postProcessor: postProcessor(d, addBosByDefault: false), decoder: decoder, model: model)
        return (json, added)
    }

    /// The top-level object, keys in the order `tokenizers` writes them.
    static func document(added: [ExportedAddedToken], normalizer: OrderedJSON, preTokenizer: OrderedJSON,
                         postProcessor: OrderedJSON, decoder: OrderedJSON, model: OrderedJSON) -> OrderedJSON {
        .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array(added.map { token in
                .object([("id", .int(token.id)), ("content", .string(token.content)), ("single_word", .bool(false)),
                         ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                         ("special", .bool(token.special))])
            })),
            ("normalizer", normalizer), ("pre_tokenizer", preTokenizer), ("post_processor", postProcessor),
            ("decoder", decoder), ("model", model),
        ])
    }

    /// Tokens matched whole, by id: CONTROL tokens (`isText`: spelled in the vocabulary's alphabet;
    /// llama.cpp marks some others by mistake, and transformers skips those too) and the named
    /// BOS/EOS/UNK/PAD tokens are special; USER_DEFINED ones are plain text.
    static func addedTokens(_ d: TokenizerDescription, isText: (String) -> Bool) -> [ExportedAddedToken] {
        let types = d.tokenTypes ?? []
        let named = Set([d.bosTokenId, d.eosTokenId, d.unknownTokenId, d.paddingTokenId].compactMap { $0 })
        var added: [ExportedAddedToken] = []
        for (id, token) in d.tokens.enumerated() {
            let type = types.indices.contains(id) ? TokenizerDescription.TokenType(rawValue: types[id]) : nil
            if (type == .control && isText(token)) || named.contains(id) {
                added.append(ExportedAddedToken(id: id, content: token, special: true))
            } else if type == .userDefined {
                added.append(ExportedAddedToken(id: id, content: token, special: false))
            }
        }
        return added
    }

    /// Merges as "left right" strings, each checked to be two tokens.
    static func checkedMerges(_ merges: [String], file: String) throws -> [String] {
        for (index, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw RunnerError(file, "tokenizer.ggml.merges[\(index)] \(merge.debugDescription) is not two tokens separated by one space")
            }
        }
        return merges
    }

    /// A TemplateProcessing that puts BOS before and EOS after each sequence as
    /// `tokenizer.ggml.add_bos_token`/`add_eos_token` say (absent: `addBosByDefault`, no EOS).
    static func postProcessor(_ d: TokenizerDescription, addBosByDefault: Bool) -> OrderedJSON {
        let bos = (d.addBosToken ?? addBosByDefault) ? d.bosTokenId : nil
        let eos = (d.addEosToken ?? false) ? d.eosTokenId : nil
        func special(_ id: Int?, _ typeId: Int) -> [OrderedJSON] {
            guard let id else { return [] }
            return [.object([("SpecialToken", .object([("id", .string(d.tokens[id])), ("type_id", .int(typeId))]))])]
        }
        func sequence(_ name: String, _ typeId: Int) -> OrderedJSON {
            .object([("Sequence", .object([("id", .string(name)), ("type_id", .int(typeId))]))])
        }
        let single = special(bos, 0) + [sequence("A", 0)] + special(eos, 0)
        let pair = single + special(bos, 1) + [sequence("B", 1)] + special(eos, 1)
        var specials: [(String, OrderedJSON)] = []
        for id in [bos, eos].compactMap({ $0 }) where !specials.contains(where: { $0.0 == d.tokens[id] }) {
            specials.append((d.tokens[id], .object([("id", .string(d.tokens[id])), ("ids", .array([.int(id)])),
                                                    ("tokens", .array([.string(d.tokens[id])]))])))
        }
        return .object([("type", .string("TemplateProcessing")), ("single", .array(single)), ("pair", .array(pair)),
                        ("special_tokens", .object(specials))])
    }
}

/// GPT-2's byte alphabet (bytes ↔ printable characters), which byte-level vocabularies are spelled in.
enum ByteLevelSpelling {
    static let scalarForByte: [Unicode.Scalar] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if printable.contains(byte) { table[byte] = Unicode.Scalar(UInt32(byte))! } else { table[byte] = Unicode.Scalar(next)!; next += 1 }
        }
        return table
    }()
    private static let alphabet = Set(scalarForByte)

    /// Whether every character of `token` is in the alphabet.
    static func isSpelled(_ token: String) -> Bool { token.unicodeScalars.allSatisfy(alphabet.contains) }

    /// `text`'s UTF-8 bytes spelled in the alphabet.
    static func spell(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for byte in text.utf8 { out.append(scalarForByte[Int(byte)]) }
        return String(out)
    }
}
