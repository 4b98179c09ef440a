// A neutral, typed description of a tokenizer — what GGUF metadata (`tokenizer.ggml.*`) holds — and
// how it becomes a Tokenizer with the pipeline Hugging Face and llama.cpp use for that vocabulary.

import Basics

/// A tokenizer as GGUF metadata describes it. Each field is one `tokenizer.ggml.*` key:
/// `model`, `pre`, `tokens`, `merges`, `token_type`, `scores`, `bos_token_id`, `eos_token_id`,
/// `unknown_token_id`, `padding_token_id`, `add_bos_token`, `add_eos_token`, `add_space_prefix`.
public struct TokenizerDescription: Sendable, Equatable {
    /// `tokenizer.ggml.model`: `gpt2` (byte-level BPE) or `llama` (SentencePiece-style BPE).
    public enum ModelType: String, Sendable, CaseIterable {
        case gpt2, llama
    }

    /// GGUF token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public var model: ModelType
    /// `tokenizer.ggml.pre`: which pre-tokenizer the vocabulary was trained with ("smollm", "llama3",
    /// "qwen2", "default", …). Ignored for `llama`.
    public var preTokenizer: String
    public var tokens: [String]
    /// "left right" pairs in priority order; nil for `llama` vocabularies, whose merges follow from `scores`.
    public var merges: [String]?
    public var tokenTypes: [Int32]?
    public var scores: [Float]?
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var unknownTokenId: Int?
    public var paddingTokenId: Int?
    /// Whether `encode(_:addSpecialTokens: true)` starts with BOS; nil: true for `llama`, false for `gpt2`.
    public var addBosToken: Bool?
    public var addEosToken: Bool?
    /// `tokenizer.ggml.add_space_prefix` (`llama` only); nil means true.
    public var addSpacePrefix: Bool?

    public init(model: ModelType, preTokenizer: String = "default", tokens: [String], merges: [String]? = nil,
                tokenTypes: [Int32]? = nil, scores: [Float]? = nil, bosTokenId: Int? = nil, eosTokenId: Int? = nil,
                unknownTokenId: Int? = nil, paddingTokenId: Int? = nil, addBosToken: Bool? = nil,
                addEosToken: Bool? = nil, addSpacePrefix: Bool? = nil) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.merges = merges
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.unknownTokenId = unknownTokenId
        self.paddingTokenId = paddingTokenId
        self.addBosToken = addBosToken
        self.addEosToken = addEosToken
        self.addSpacePrefix = addSpacePrefix
    }

    /// Byte-level pre-tokenizers by `tokenizer.ggml.pre`, as llama.cpp and the models' tokenizer.json use them.
    static func byteLevelSteps(for pre: String) -> (steps: [PreTokenizerStep], ignoreMerges: Bool)? {
        switch pre {
        case "default", "gpt2", "gpt-2", "mpt", "olmo", "jais", "gpt-neox":
            return ([.byteLevel(addPrefixSpace: false, useRegex: true)], false)
        case "smollm", "starcoder", "refact", "codeshell", "command-r", "exaone", "minerva-7b":
            return ([.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)], false)
        case "llama3", "llama-bpe", "llama-v3", "falcon3", "smaug-bpe", "dbrx", "pixtral":
            return ([.split(.llama3), .byteLevel(addPrefixSpace: false, useRegex: false)], true)
        case "qwen2", "deepseek-r1-qwen", "megrez":
            return ([.split(.qwen2), .byteLevel(addPrefixSpace: false, useRegex: false)], false)
        default:
            return nil
        }
    }
}

extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes, with the pipeline Hugging Face builds for it
    /// (`AutoTokenizer.from_pretrained(..., gguf_file=)`), except that `smollm`-style vocabularies keep
    /// the digit splitting of their tokenizer.json (as llama.cpp does).
    /// Throws `DiagnosticError` (key paths `tokenizer.ggml.*`) for inconsistent descriptions.
    public convenience init(description: TokenizerDescription) throws {
        do {
            try self.init(checkedDescription: description)
        } catch let error as DefinitionError {
            throw DiagnosticError(Diagnostic(keyPath: error.keyPath, error.message, hint: error.hint))
        }
    }

    private convenience init(checkedDescription d: TokenizerDescription) throws {
        let count = d.tokens.count
        func checkId(_ id: Int?, _ key: String) throws -> Int32? {
            guard let id else { return nil }
            guard id >= 0 && id < count else {
                throw DefinitionError(keyPath: "tokenizer.ggml.\(key)", message: "token id \(id) is outside the vocabulary (0..<\(count))",
                                      hint: "the id must index tokenizer.ggml.tokens")
            }
            return Int32(id)
        }
        let bos = try checkId(d.bosTokenId, "bos_token_id")
        let eos = try checkId(d.eosTokenId, "eos_token_id")
        let unknown = try checkId(d.unknownTokenId, "unknown_token_id")
        let padding = try checkId(d.paddingTokenId, "padding_token_id")
        if let types = d.tokenTypes, types.count != count {
            throw DefinitionError(keyPath: "tokenizer.ggml.token_type", message: "has \(types.count) entries for \(count) tokens")
        }
        if let scores = d.scores, scores.count != count {
            throw DefinitionError(keyPath: "tokenizer.ggml.scores", message: "has \(scores.count) entries for \(count) tokens")
        }
        if count == 0 { throw DefinitionError(keyPath: "tokenizer.ggml.tokens", message: "the vocabulary is empty") }

        let model: BPEModel
        let preTokenizer: [PreTokenizerStep]
        let decoder: [DecoderStep]
        switch d.model {
        case .gpt2:
            guard let (steps, ignoreMerges) = TokenizerDescription.byteLevelSteps(for: d.preTokenizer) else {
                throw DefinitionError(keyPath: "tokenizer.ggml.pre", message: "unsupported pre-tokenizer \"\(d.preTokenizer)\"",
                                      hint: "supported: default, gpt2, smollm, starcoder, llama3, llama-bpe, qwen2 and their aliases")
            }
            guard let merges = d.merges else {
                throw DefinitionError(keyPath: "tokenizer.ggml.merges", message: "a gpt2 tokenizer needs merges")
            }
            let pairs = try parseMerges(merges)
            model = try BPEModel.build(units: .bytes, pieces: d.tokens, merges: pairs, byteFallback: false, unknownToken: nil,
                                       fuseUnknown: false, ignoreMerges: ignoreMerges, mergesKeyPath: "tokenizer.ggml.merges")
            preTokenizer = steps
            decoder = [.byteLevel]
        case .llama:
            guard let scores = d.scores else {
                throw DefinitionError(keyPath: "tokenizer.ggml.scores", message: "a llama (SentencePiece) tokenizer needs scores")
            }
            let pairs = try d.merges.map(parseMerges) ?? mergesFromScores(tokens: d.tokens, scores: scores)
            model = try BPEModel.build(units: .scalars, pieces: d.tokens, merges: pairs, byteFallback: true,
                                       unknownToken: unknown.map { d.tokens[Int($0)] }, fuseUnknown: true, ignoreMerges: false,
                                       mergesKeyPath: "tokenizer.ggml.merges")
            let addPrefix = d.addSpacePrefix ?? true
            preTokenizer = [.metaspace(replacement: "\u{2581}", scheme: addPrefix ? .first : .never, split: false)]
            decoder = [.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse]
                + (addPrefix ? [.strip(content: " ", start: 1, stop: 0)] : [])
        }

        // Control tokens and the named special tokens match whole and are special; user-defined ones
        // match whole but are ordinary text.
        var added: [AddedToken] = []
        var seen = Set<Int32>()
        let types = d.tokenTypes ?? []
        let named = Set([bos, eos, unknown, padding].compactMap { $0 })
        for (index, token) in d.tokens.enumerated() {
            let id = Int32(index)
            let type = types.isEmpty ? nil : TokenizerDescription.TokenType(rawValue: types[index])
            let inAlphabet = d.model == .llama || ByteLevelAlphabet.bytes(of: token) != nil
            if (type == .control && inAlphabet) || named.contains(id) {
                added.append(AddedToken(id: id, content: token, special: true))
                seen.insert(id)
            }
        }
        for (index, token) in d.tokens.enumerated() where !types.isEmpty && types[index] == TokenizerDescription.TokenType.userDefined.rawValue {
            if !seen.contains(Int32(index)) { added.append(AddedToken(id: Int32(index), content: token, special: false)) }
        }

        var post = PostProcessor()
        if d.addBosToken ?? (d.model == .llama), let bos { post.prefix = [bos] }
        if d.addEosToken ?? false, let eos { post.suffix = [eos] }
        self.init(model: model, addedTokens: added, normalizer: [], preTokenizer: preTokenizer, postProcessor: post,
                  decoder: decoder, bos: bos, eos: eos, unknown: unknown, padding: padding)
    }
}

/// GGUF merges ("left right") as pairs; a malformed entry is an error naming its index.
private func parseMerges(_ merges: [String]) throws -> [(String, String)] {
    try merges.enumerated().map { index, merge in
        guard let pair = splitMerge(merge) else {
            throw DefinitionError(keyPath: "tokenizer.ggml.merges[\(index)]",
                                  message: "merge \"\(merge)\" is not two tokens separated by one space")
        }
        return pair
    }
}

/// "left right" → (left, right); nil unless there is exactly one space.
func splitMerge(_ merge: String) -> (String, String)? {
    let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return nil }
    return (String(parts[0]), String(parts[1]))
}

/// Merges implied by a SentencePiece vocabulary, as transformers' `generate_merges` derives them:
/// every split of every token into two tokens, best score first (ties: longer left, longer right,
/// then vocabulary order).
public func mergesFromScores(tokens: [String], scores: [Float]) -> [(String, String)] {
    // Keys are exact UTF-8 (Python compares code points; Swift's String would equate canonically
    // equivalent tokens).
    var ids: [[UInt8]: Int] = [:]
    for (index, token) in tokens.enumerated() { ids[Array(token.utf8)] = index }
    // Python's dict(zip(tokens, scores)): first position wins the order, the last score the value.
    var order: [String] = []
    var scoreOf: [[UInt8]: Float] = [:]
    for (token, score) in zip(tokens, scores) {
        let key = Array(token.utf8)
        if scoreOf[key] == nil { order.append(token) }
        scoreOf[key] = score
    }
    struct Candidate { var left: String; var right: String; var leftId: Int; var rightId: Int
                       var score: Float; var leftLength: Int; var rightLength: Int }
    var candidates: [Candidate] = []
    for token in order {
        let scalars = Array(token.unicodeScalars)
        guard scalars.count > 1 else { continue }
        let score = scoreOf[Array(token.utf8)]!
        var local: [Candidate] = []
        for cut in 1..<scalars.count {
            var left = String.UnicodeScalarView(); left.append(contentsOf: scalars[..<cut])
            var right = String.UnicodeScalarView(); right.append(contentsOf: scalars[cut...])
            let l = String(left), r = String(right)
            if let leftId = ids[Array(l.utf8)], let rightId = ids[Array(r.utf8)] {
                local.append(Candidate(left: l, right: r, leftId: leftId, rightId: rightId, score: score,
                                       leftLength: cut, rightLength: scalars.count - cut))
            }
        }
        local.sort { ($0.leftId, $0.rightId) < ($1.leftId, $1.rightId) }
        candidates += local
    }
    let sorted = candidates.indices.sorted { a, b in
        let x = candidates[a], y = candidates[b]
        if x.score != y.score { return x.score > y.score }
        if x.leftLength != y.leftLength { return x.leftLength > y.leftLength }
        if x.rightLength != y.rightLength { return x.rightLength > y.rightLength }
        return a < b
    }
    return sorted.map { (candidates[$0].left, candidates[$0].right) }
}
