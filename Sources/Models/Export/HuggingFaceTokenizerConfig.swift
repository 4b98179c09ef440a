// tokenizer_config.json and special_tokens_map.json for an exported tokenizer.json: the special
// tokens by name, every added token by id, the BOS/EOS flags, the chat template and the context
// length, keys sorted as transformers' save_pretrained writes them.
import Tokenizer

enum HuggingFaceTokenizerConfig {
    /// tokenizer_config.json. `modelMaxLength`: the model's context length, if known.
    static func make(_ d: TokenizerDescription, added: [ExportedAddedToken], chatTemplate: String?,
                     modelMaxLength: Int?) -> OrderedJSON {
        let decoder: [(String, OrderedJSON)] = added.map { token in
            (String(token.id), .object([("content", .string(token.content)), ("lstrip", .bool(false)),
                                        ("normalized", .bool(false)), ("rstrip", .bool(false)),
                                        ("single_word", .bool(false)), ("special", .bool(token.special))]))
        }
        var members: [(String, OrderedJSON)] = [
            ("add_bos_token", .bool(d.addBosToken ?? (d.model == .llama))),
            ("add_eos_token", .bool(d.addEosToken ?? false)),
            ("added_tokens_decoder", .object(decoder)),
            ("additional_special_tokens", .array(additionalSpecialTokens(d, added: added).map(OrderedJSON.string))),
            ("bos_token", token(d, d.bosTokenId)),
            ("clean_up_tokenization_spaces", .bool(false)),
            ("eos_token", token(d, d.eosTokenId)),
            ("model_max_length", modelMaxLength.map(OrderedJSON.int) ?? .null),
            ("pad_token", token(d, d.paddingTokenId)),
            ("tokenizer_class", .string("PreTrainedTokenizerFast")),
            ("unk_token", token(d, d.unknownTokenId)),
        ]
        if let chatTemplate { members.append(("chat_template", .string(chatTemplate))) }
        if modelMaxLength == nil { members.removeAll { $0.0 == "model_max_length" } }
        return .object(members.sorted { $0.0 < $1.0 })
    }

    /// special_tokens_map.json: the named special tokens and the other special ones.
    static func specialTokensMap(_ d: TokenizerDescription, added: [ExportedAddedToken]) -> OrderedJSON {
        var members: [(String, OrderedJSON)] = [("additional_special_tokens", .array(additionalSpecialTokens(d, added: added).map(OrderedJSON.string)))]
        for (key, id) in [("bos_token", d.bosTokenId), ("eos_token", d.eosTokenId), ("pad_token", d.paddingTokenId),
                          ("unk_token", d.unknownTokenId)] {
            if let id { members.append((key, .string(d.tokens[id]))) }
        }
        return .object(members)
    }

    /// Special added tokens other than BOS/EOS/UNK/PAD (e.g. `<|im_start|>` when it is not BOS).
    private static func additionalSpecialTokens(_ d: TokenizerDescription, added: [ExportedAddedToken]) -> [String] {
        let named = Set([d.bosTokenId, d.eosTokenId, d.unknownTokenId, d.paddingTokenId].compactMap { $0 })
        return added.filter { $0.special && !named.contains($0.id) }.map(\.content)
    }

    private static func token(_ d: TokenizerDescription, _ id: Int?) -> OrderedJSON {
        id.map { .string(d.tokens[$0]) } ?? .null
    }
}
