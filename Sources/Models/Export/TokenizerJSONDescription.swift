// A Hugging Face tokenizer.json (+ tokenizer_config.json) as GGUF describes a tokenizer
// (`TokenizerDescription`, i.e. the `tokenizer.ggml.*` keys): vocabulary in id order padded to the
// model's vocab size, token types, merges, special ids and BOS/EOS flags, as convert_hf_to_gguf
// derives them. The pre-tokenizer name is the one whose splitting reproduces tokenizer.json's ids.
import Basics
import Foundation
import Tokenizer

enum TokenizerJSONDescription {
    /// Byte-level pre-tokenizer names GGUF readers know, tried in this order (llama.cpp spellings).
    static let byteLevelPreTokenizers = ["gpt-2", "smollm", "llama-bpe", "qwen2"]

    /// Builds the description of `directory`'s tokenizer.json for a model with `vocabSize` embedding
    /// rows, checked against the tokenizer.json tokenizer itself: the result encodes
    /// `TokenizerProbe.texts` to the same ids.
    ///
    /// - Throws: `RunnerError` naming the file and the part GGUF cannot express.
    static func describe(directory: URL, vocabSize: Int, config: LlamaConfig) throws -> TokenizerDescription {
        let url = directory.appendingPathComponent("tokenizer.json")
        let reference = try Tokenizer(contentsOf: url)
        let root = try jsonObject(url)
        guard let model = root["model"] as? [String: Any], (model["type"] as? String ?? "BPE") == "BPE",
              let vocab = model["vocab"] as? [String: Any] else {
            throw RunnerError(url.path, "model: only BPE tokenizers can be exported to GGUF")
        }
        let byteLevel = containsType("ByteLevel", root["pre_tokenizer"])
        let byteFallback = model["byte_fallback"] as? Bool ?? false

        // Pieces by id: the model's vocabulary, then added tokens, then padding up to the embedding rows.
        var pieces: [Int: String] = [:]
        for (piece, id) in vocab {
            guard let id = (id as? NSNumber)?.intValue, id >= 0 else { throw RunnerError(url.path, "model.vocab[\"\(piece)\"] is not a token id") }
            pieces[id] = piece
        }
        var added: [Int: (content: String, special: Bool)] = [:]
        for case let token as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            guard let id = (token["id"] as? NSNumber)?.intValue, id >= 0, let content = token["content"] as? String else {
                throw RunnerError(url.path, "added_tokens: an entry lacks its id or content")
            }
            added[id] = (content, token["special"] as? Bool ?? false)
        }
        let highest = max(pieces.keys.max() ?? -1, added.keys.max() ?? -1)
        guard highest < vocabSize else {
            throw RunnerError(url.path, "token id \(highest) does not fit the model's \(vocabSize) embedding rows",
                              hint: "the tokenizer and the model's vocab_size disagree")
        }
        var tokens: [String] = []
        var types: [Int32] = []
        tokens.reserveCapacity(vocabSize)
        for id in 0..<vocabSize {
            // An added token is matched whole in text (so it stays CONTROL even if it spells a byte).
            if let token = added[id] {
                tokens.append(token.content)
                types.append((token.special ? TokenizerDescription.TokenType.control : .userDefined).rawValue)
            } else if byteFallback, let piece = pieces[id], isByteToken(piece) {
                tokens.append(piece); types.append(TokenizerDescription.TokenType.byte.rawValue)
            } else if let piece = pieces[id] {
                tokens.append(piece); types.append(TokenizerDescription.TokenType.normal.rawValue)
            } else {
                tokens.append("[PAD\(id)]"); types.append(TokenizerDescription.TokenType.unused.rawValue)
            }
        }
        let merges = try readMerges(model["merges"], file: url.path)
        let unknownPiece = model["unk_token"] as? String
        let unknownId = unknownPiece.flatMap { piece in tokens.firstIndex(of: piece) }
        if let unknownId, !byteLevel { types[unknownId] = TokenizerDescription.TokenType.unknown.rawValue }

        // Special ids: tokenizer_config.json's tokens, else the config's and tokenizer.json's ids.
        let settings = (try? jsonObject(directory.appendingPathComponent("tokenizer_config.json"))) ?? [:]
        func specialId(_ key: String) -> Int? {
            let value = settings[key]
            let content = (value as? String) ?? ((value as? [String: Any])?["content"] as? String)
            return content.flatMap { piece in tokens.firstIndex(of: piece) }
        }
        let bos = specialId("bos_token") ?? config.bosTokenId.map(Int.init) ?? reference.bosTokenId.map(Int.init)
        let eos = specialId("eos_token") ?? config.eosTokenIds.first.map(Int.init) ?? reference.eosTokenId.map(Int.init)
        let padding = specialId("pad_token")
        // BOS/EOS flags as the tokenizer.json post-processor applies them (what `encode` does).
        let plain = reference.encode("a", addSpecialTokens: false), framed = reference.encode("a", addSpecialTokens: true)
        let addBos = settings["add_bos_token"] as? Bool ?? (framed.count > plain.count && framed.first != plain.first)
        let addEos = settings["add_eos_token"] as? Bool ?? (framed.count > plain.count && framed.last != plain.last)

        var description = TokenizerDescription(
            model: byteLevel ? .gpt2 : .llama, tokens: tokens, merges: merges, tokenTypes: types,
            scores: byteLevel ? nil : scores(tokens: tokens, merges: merges),
            bosTokenId: bos, eosTokenId: eos, unknownTokenId: unknownId, paddingTokenId: padding,
            addBosToken: addBos, addEosToken: addEos,
            addSpacePrefix: byteLevel ? nil : addsSpacePrefix(root))
        let candidates = byteLevel ? preferredPreTokenizers(root["pre_tokenizer"]) : ["default"]
        var firstMismatch: String?
        for pre in candidates {
            description.preTokenizer = pre
            guard let candidate = try? Tokenizer(description: description) else { continue }
            if let mismatch = TokenizerProbe.firstMismatch(candidate, reference) {
                firstMismatch = firstMismatch ?? mismatch
                continue
            }
            return description
        }
        throw RunnerError(url.path, "its pre-tokenizer cannot be expressed in GGUF metadata: \(firstMismatch ?? "no candidate builds")",
                          hint: "GGUF knows byte-level pre-tokenizers \(byteLevelPreTokenizers.joined(separator: ", ")) and SentencePiece-style BPE")
    }

    /// The byte-level names, the one tokenizer.json's structure suggests first (several can give
    /// the same ids on a vocabulary; the name then still says how it was trained).
    private static func preferredPreTokenizers(_ node: Any?) -> [String] {
        let text = (try? JSONSerialization.data(withJSONObject: node ?? NSNull(), options: [.fragmentsAllowed]))
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        let first: String
        if containsType("Digits", node) { first = "smollm" }
        else if text.contains("{1,3}") { first = "llama-bpe" }
        else if containsType("Split", node) { first = "qwen2" }
        else { first = "gpt-2" }
        return [first] + byteLevelPreTokenizers.filter { $0 != first }
    }

    private static func jsonObject(_ url: URL) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw RunnerError(url.path, "cannot be read") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RunnerError(url.path, "is not a JSON object")
        }
        return object
    }

    /// Whether a pre-tokenizer (or a Sequence of them) contains one of `type`.
    private static func containsType(_ type: String, _ node: Any?) -> Bool {
        guard let object = node as? [String: Any] else { return false }
        if object["type"] as? String == type { return true }
        return (object["pretokenizers"] as? [Any] ?? []).contains { containsType(type, $0) }
    }

    private static func isByteToken(_ piece: String) -> Bool {
        let u = Array(piece.utf8)
        return u.count == 6 && piece.hasPrefix("<0x") && u[5] == UInt8(ascii: ">") && UInt8(piece.dropFirst(3).prefix(2), radix: 16) != nil
    }

    /// Merges as GGUF spells them ("left right"); tokenizer.json has strings or pairs.
    private static func readMerges(_ node: Any?, file: String) throws -> [String] {
        guard let list = node as? [Any] else { return [] }
        return try list.enumerated().map { index, item in
            if let text = item as? String { return text }
            if let pair = item as? [String], pair.count == 2, !pair[0].contains(" "), !pair[1].contains(" ") { return "\(pair[0]) \(pair[1])" }
            throw RunnerError(file, "model.merges[\(index)] cannot be written as \"left right\"",
                              hint: "GGUF merges are two tokens separated by one space; tokens with spaces cannot be exported")
        }
    }

    /// SentencePiece-style scores: a token made by merge r scores −r (earlier merges win, as BPE
    /// ranks them); other tokens score 0. llama.cpp merges by these scores; runner and transformers use the merges.
    private static func scores(tokens: [String], merges: [String]) -> [Float] {
        var index: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where index[token] == nil { index[token] = id }
        var scores = [Float](repeating: 0, count: tokens.count)
        var scored = Set<Int>()
        for (rank, merge) in merges.enumerated() {
            if let id = index[merge.replacingOccurrences(of: " ", with: "")], scored.insert(id).inserted { scores[id] = -Float(rank) }
        }
        return scores
    }

    /// SentencePiece-style tokenizers put `▁` before the text unless Metaspace says `never`.
    private static func addsSpacePrefix(_ root: [String: Any]) -> Bool {
        if let pre = root["pre_tokenizer"] as? [String: Any], pre["type"] as? String == "Metaspace" {
            return (pre["prepend_scheme"] as? String ?? "always") != "never" && (pre["add_prefix_space"] as? Bool ?? true)
        }
        return true
    }
}

/// Texts on which an exported tokenizer must give exactly the ids of its source.
enum TokenizerProbe {
    static let texts = [
        "Hello world! It's a test: 12345 + 67 = 12412.\n\n  Indented\tline   with   spaces.  ",
        "I'm sure you'll see they've done it, DON'T YOU? 3.14159 and 2024-11-22",
        "café naïve résumé — 日本語のテキスト 🚀 ÀÉÎÕÜ ñ",
        "   leading spaces\n\n\ntrailing newlines\n\n",
        "def f(x):\n    return x**2  # comment\r\n",
    ]

    /// nil when `candidate` and `reference` agree on every probe (with and without special tokens,
    /// and around every special token); else a short description of the first difference.
    static func firstMismatch(_ candidate: Tokenizer, _ reference: Tokenizer) -> String? {
        var texts = texts
        let specials = reference.specialTokenIds.sorted().prefix(64).compactMap { reference.tokenPiece($0) }
        texts.append(specials.map { "x\($0) y" }.joined(separator: "\n"))
        texts.append(specials.map { "\($0)z" }.joined())
        for text in texts {
            for special in [false, true] {
                let got = candidate.encode(text, addSpecialTokens: special), want = reference.encode(text, addSpecialTokens: special)
                if got != want {
                    return "\(text.debugDescription.prefix(40)) encodes to \(got.prefix(12)) instead of \(want.prefix(12))"
                }
            }
        }
        return nil
    }
}
