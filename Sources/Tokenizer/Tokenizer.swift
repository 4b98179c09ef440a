// The tokenizer: text → token ids and back, with Hugging Face `tokenizers` semantics for byte-level
// (GPT-2, Llama 3, Qwen2, SmolLM2) and SentencePiece-style (Llama 2, Mistral) BPE vocabularies.

import Foundation

/// A BPE tokenizer. Build one with `Tokenizer(tokenizerJSON:)`, `Tokenizer(contentsOf:)` or
/// `Tokenizer(description:)`; it is immutable and safe to share between threads.
public final class Tokenizer: @unchecked Sendable {
    let model: BPEModel
    let addedTokens: [AddedToken]
    let normalizer: [NormalizerStep]
    let preTokenizer: [PreTokenizerStep]
    let postProcessor: PostProcessor
    let decoder: [DecoderStep]
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedById: [Int32: AddedToken]

    /// Beginning/end of sequence, unknown and padding token ids, when the tokenizer has them.
    public let bosTokenId: Int32?
    public let eosTokenId: Int32?
    public let unknownTokenId: Int32?
    public let paddingTokenId: Int32?

    /// Per-thread-of-use encoding state (piece cache + scratch), lent out one per `encode` call.
    private let statePool = NSLock()
    private var idleStates: [EncodeState] = []

    init(model: BPEModel, addedTokens: [AddedToken], normalizer: [NormalizerStep], preTokenizer: [PreTokenizerStep],
         postProcessor: PostProcessor, decoder: [DecoderStep],
         bos: Int32?, eos: Int32?, unknown: Int32?, padding: Int32?) {
        self.model = model
        self.addedTokens = addedTokens
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        addedById = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        vocabularySize = max(model.pieces.count, (addedTokens.map { Int($0.id) }.max() ?? -1) + 1)
        bosTokenId = bos
        eosTokenId = eos
        unknownTokenId = unknown
        paddingTokenId = padding
    }

    // MARK: - Vocabulary

    /// Number of ids: the model's vocabulary plus added tokens beyond it.
    public let vocabularySize: Int

    /// The token as the vocabulary spells it (`"Ġworld"`, `"▁Hello"`, `"<|im_start|>"`); nil for an
    /// id outside the vocabulary.
    public func tokenPiece(_ id: Int32) -> String? {
        if let added = addedById[id] { return added.content }
        guard id >= 0 && Int(id) < model.pieces.count else { return nil }
        return model.pieces[Int(id)]
    }

    /// The bytes of text the token stands for: GPT-2 alphabet undone for byte-level vocabularies;
    /// `▁` as a space and `<0xNN>` as that byte for SentencePiece ones; added tokens as written. For
    /// streaming output, concatenate and decode as UTF-8 once complete. Nil outside the vocabulary.
    public func tokenBytes(_ id: Int32) -> [UInt8]? {
        guard let piece = tokenPiece(id) else { return nil }
        if addedById[id] != nil { return Array(piece.utf8) }
        switch model.units {
        case .bytes:
            return ByteLevelAlphabet.bytes(of: piece) ?? Array(piece.utf8)
        case .scalars:
            let utf8 = Array(piece.utf8)
            if utf8.count == 6, piece.hasPrefix("<0x"), utf8[5] == UInt8(ascii: ">"),
               let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                return [byte]
            }
            return replacing(utf8, Array("\u{2581}".utf8), [0x20])
        }
    }

    /// The id of a token spelled as in the vocabulary, or of an added token.
    public func tokenId(_ piece: String) -> Int32? {
        let utf8 = Array(piece.utf8)
        if let added = addedTokens.first(where: { $0.content.utf8.elementsEqual(utf8) }) { return added.id }
        return model.pieceIds.find(utf8)
    }

    /// Ids of the added tokens marked special (skipped by `decode(_:skipSpecialTokens: true)`).
    public var specialTokenIds: Set<Int32> { Set(addedTokens.filter(\.special).map(\.id)) }

    /// Whether `id` is a special added token.
    public func isSpecial(_ id: Int32) -> Bool { addedById[id]?.special ?? false }

    // MARK: - Encoding

    /// The token ids of `text`. With `addSpecialTokens`, the post-processor's tokens (e.g. BOS) are
    /// added around them, as Hugging Face's `encode(text, add_special_tokens=True)` does.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        var text = text
        return text.withUTF8 { encodeValid($0, addSpecialTokens: addSpecialTokens) }
    }

    /// `encode` over UTF-8 bytes; invalid sequences are first replaced by U+FFFD, as `String(decoding:)` does.
    public func encode(utf8 bytes: UnsafeBufferPointer<UInt8>, addSpecialTokens: Bool = true) -> [Int32] {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return encode(String(decoding: bytes, as: UTF8.self), addSpecialTokens: addSpecialTokens)
        }
        return encodeValid(bytes, addSpecialTokens: addSpecialTokens)
    }

    private func encodeValid(_ bytes: UnsafeBufferPointer<UInt8>, addSpecialTokens: Bool) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 4)
        if addSpecialTokens { output.append(contentsOf: postProcessor.prefix) }
        let state = takeState()
        encodeBody(bytes, state, into: &output)
        returnState(state)
        if addSpecialTokens { output.append(contentsOf: postProcessor.suffix) }
        return output
    }

    private func encodeBody(_ bytes: UnsafeBufferPointer<UInt8>, _ state: EncodeState, into output: inout [Int32]) {
        state.segments.removeAll(keepingCapacity: true)
        rawMatcher.split(bytes, 0..<bytes.count, into: &state.segments)
        for segment in state.segments {
            if segment.tokenId >= 0 {
                output.append(segment.tokenId)
                continue
            }
            let text = UnsafeBufferPointer(rebasing: bytes[segment.range])
            state.pre.load(text, normalizer: normalizer)
            if normalizedMatcher.isEmpty {
                encodePreTokens(state, atTextStart: segment.range.lowerBound == 0, into: &output)
            } else {
                encodeWithNormalizedTokens(state, atTextStart: segment.range.lowerBound == 0, into: &output)
            }
        }
    }

    /// Splits the normalized text on added tokens that match normalized text, then pre-tokenizes.
    private func encodeWithNormalizedTokens(_ state: EncodeState, atTextStart: Bool, into output: inout [Int32]) {
        let normalized = state.pre.buffer
        var parts: [Segment] = []
        normalized.withUnsafeBufferPointer { normalizedMatcher.split($0, 0..<$0.count, into: &parts) }
        for part in parts {
            if part.tokenId >= 0 {
                output.append(part.tokenId)
                continue
            }
            normalized.withUnsafeBufferPointer { state.pre.load(UnsafeBufferPointer(rebasing: $0[part.range]), normalizer: []) }
            encodePreTokens(state, atTextStart: atTextStart && part.range.lowerBound == 0, into: &output)
        }
    }

    private func encodePreTokens(_ state: EncodeState, atTextStart: Bool, into output: inout [Int32]) {
        state.pre.apply(preTokenizer, atTextStart: atTextStart)
        state.pre.buffer.withUnsafeBufferPointer { buffer in
            for piece in state.pre.pieces {
                let key = UnsafeBufferPointer(rebasing: buffer[piece])
                state.cache.tokenize(key, model, &state.merge, into: &output)
            }
        }
    }

    private func takeState() -> EncodeState {
        statePool.lock()
        defer { statePool.unlock() }
        return idleStates.popLast() ?? EncodeState()
    }

    private func returnState(_ state: EncodeState) {
        statePool.lock()
        defer { statePool.unlock() }
        if idleStates.count < 64 { idleStates.append(state) }
    }

    // MARK: - Decoding

    /// The text of `ids`, as Hugging Face's `decode` gives it: ids outside the vocabulary are
    /// ignored; with `skipSpecialTokens`, special added tokens are left out.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && isSpecial(id) { continue }
            if let piece = tokenPiece(id) { tokens.append(piece) }
        }
        return runDecoder(decoder, tokens)
    }
}

/// Mutable state one `encode` call works in; never shared between concurrent calls.
final class EncodeState {
    var segments: [Segment] = []
    var pre = PreTokenization()
    var merge = MergeScratch()
    var cache = PieceCache()
}
