// The stages of a tokenizer as data: normalizer, pre-tokenizer, post-processor and decoder steps,
// and the added tokens. Built from a tokenizer.json or from a GGUF-style description.

/// A token matched whole in the text before any other processing (e.g. `<|im_start|>`).
public struct AddedToken: Sendable, Equatable {
    public var id: Int32
    public var content: String
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool
    /// Also swallow the whitespace before (`lstrip`) or after (`rstrip`) a match.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Match only when not inside a word.
    public var singleWord: Bool
    /// Match against the normalized text instead of the raw text.
    public var normalized: Bool

    public init(id: Int32, content: String, special: Bool, lstrip: Bool = false, rstrip: Bool = false,
                singleWord: Bool = false, normalized: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
        self.normalized = normalized
    }
}

/// Rewrites applied to each stretch of text between added tokens.
enum NormalizerStep: Sendable, Equatable {
    /// Prepends the string to non-empty text.
    case prepend(String)
    /// Replaces every occurrence of a literal string.
    case replace(pattern: String, content: String)
    /// Unicode normalization forms (Qwen2's tokenizer.json uses NFC).
    case nfc, nfd, nfkc, nfkd
    case lowercase
}

/// When Metaspace puts its replacement character in front of the text.
public enum PrependScheme: String, Sendable {
    case always, first, never
}

/// One step that cuts text into pre-tokens.
enum PreTokenizerStep: Sendable, Equatable {
    /// GPT-2's ByteLevel: optional leading space, then (with `useRegex`) the GPT-2 split.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Split` with a known regex, behavior `isolated`.
    case split(SplitPattern)
    /// `Digits`: each digit alone (`individual`) or runs of digits.
    case digits(individual: Bool)
    /// `Metaspace`: spaces become the replacement, which is prepended per `scheme`; with `split`,
    /// each replacement character starts a new pre-token.
    case metaspace(replacement: String, scheme: PrependScheme, split: Bool)
}

/// One step turning token strings back into text.
enum DecoderStep: Sendable, Equatable {
    /// GPT-2 alphabet back to bytes, then UTF-8 with U+FFFD for invalid sequences.
    case byteLevel
    case replace(pattern: String, content: String)
    /// `<0x41>`-style tokens back to bytes; invalid UTF-8 becomes one U+FFFD per byte.
    case byteFallback
    /// Joins all tokens into one.
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` characters from each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// Replacement character back to spaces, dropped in the first token unless the scheme is `never`.
    case metaspace(replacement: Unicode.Scalar, scheme: PrependScheme)
}

/// What post-processing adds around a single sequence when special tokens are requested.
struct PostProcessor: Sendable, Equatable {
    var prefix: [Int32] = []
    var suffix: [Int32] = []
}
