// Hand-written matchers for the pre-tokenizer regexes of GPT-2, Llama 3 and Qwen2, over UTF-8 bytes.
// Each reproduces the leftmost-alternative, greedy-with-backtracking semantics of the regex that
// Hugging Face `tokenizers` runs (Oniguruma), without a regex engine.

/// The pre-tokenizer regexes this module knows, identified by their exact pattern text.
public enum SplitPattern: String, Sendable, CaseIterable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// As `llama3`, with `\p{N}` (one digit at a time) instead of `\p{N}{1,3}`.
    case qwen2

    /// The regex source as it appears in tokenizer.json files.
    public var regex: String {
        switch self {
        case .gpt2: return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The pattern whose source is `regex`, if it is one this module implements.
    public init?(regex: String) {
        guard let known = SplitPattern.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = known
    }

    /// Appends to `pieces` the matches in `bytes[range]`, in order, covering the whole range.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let matcher = PatternMatcher(bytes: bytes, end: range.upperBound)
        var index = range.lowerBound
        while index < range.upperBound {
            let end: Int
            switch self {
            case .gpt2: end = matcher.matchGPT2(at: index)
            case .llama3: end = matcher.matchLlama3(at: index, maxDigits: 3)
            case .qwen2: end = matcher.matchLlama3(at: index, maxDigits: 1)
            }
            pieces.append(index..<end)
            index = end
        }
    }
}

/// One scan over a UTF-8 buffer; every `match…` returns the end of the match starting at `index`.
struct PatternMatcher {
    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int

    @inline(__always) private func scalar(_ index: Int) -> (value: UInt32, length: Int) { decodeScalar(bytes, index) }
    @inline(__always) private func classes(_ value: UInt32) -> UInt8 { ScalarClass.of(value) }

    /// True when the class bits describe `[^\s\p{L}\p{N}]`.
    @inline(__always) private func isOther(_ bits: UInt8) -> Bool {
        bits & (ScalarClass.whitespace | ScalarClass.letter | ScalarClass.number) == 0
    }

    /// End of the run of scalars from `index` whose classes satisfy `accept`.
    @inline(__always)
    private func run(from index: Int, limit: Int = Int.max, _ accept: (UInt8) -> Bool) -> Int {
        var position = index
        var count = 0
        while position < end && count < limit {
            let (value, length) = scalar(position)
            if !accept(classes(value)) { break }
            position += length
            count += 1
        }
        return position
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` after an apostrophe at `index`; nil when none matches.
    private func contraction(at index: Int, caseInsensitive: Bool) -> Int? {
        let next = index + 1
        guard next < end else { return nil }
        func lower(_ byte: UInt8) -> UInt8 { caseInsensitive && byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
        let first = lower(bytes[next])
        switch first {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return next + 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"), UInt8(ascii: "l"):
            guard next + 1 < end else { return nil }
            let second = lower(bytes[next + 1])
            let wanted: UInt8 = first == UInt8(ascii: "l") ? UInt8(ascii: "l") : UInt8(ascii: "e")
            return second == wanted ? next + 2 : nil
        case 0xC5 where caseInsensitive && next + 1 < end && bytes[next + 1] == 0xBF:
            return next + 2  // U+017F LATIN SMALL LETTER LONG S case-folds to "s"
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: a run of whitespace, leaving its last scalar to the
    /// next piece when a non-space follows (so that " word" stays together).
    private func whitespace(at index: Int) -> Int {
        var position = index
        var lastStart = index
        while position < end {
            let (value, length) = scalar(position)
            if classes(value) & ScalarClass.whitespace == 0 { break }
            lastStart = position
            position += length
        }
        if position == end || lastStart == index { return position }
        return lastStart
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    func matchGPT2(at index: Int) -> Int {
        let (value, length) = scalar(index)
        if value == 0x27, let stop = contraction(at: index, caseInsensitive: false) { return stop }
        var start = index
        var bits = classes(value)
        if value == 0x20 && index + length < end {
            let nextBits = classes(scalar(index + length).value)
            if nextBits & ScalarClass.whitespace == 0 { start = index + length; bits = nextBits }
        }
        if bits & ScalarClass.letter != 0 { return run(from: start) { $0 & ScalarClass.letter != 0 } }
        if bits & ScalarClass.number != 0 { return run(from: start) { $0 & ScalarClass.number != 0 } }
        if bits & ScalarClass.whitespace == 0 { return run(from: start) { isOther($0) } }
        return whitespace(at: index)
    }

    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    func matchLlama3(at index: Int, maxDigits: Int) -> Int {
        let (value, length) = scalar(index)
        if value == 0x27, let stop = contraction(at: index, caseInsensitive: true) { return stop }
        let bits = classes(value)
        let letters: (UInt8) -> Bool = { $0 & ScalarClass.letter != 0 }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if bits & ScalarClass.letter != 0 { return run(from: index, letters) }
        let isNewline = value == 0x0A || value == 0x0D
        if !isNewline && bits & ScalarClass.number == 0 && index + length < end
            && classes(scalar(index + length).value) & ScalarClass.letter != 0 {
            return run(from: index + length, letters)
        }
        // \p{N}{1,maxDigits}
        if bits & ScalarClass.number != 0 {
            return run(from: index, limit: maxDigits) { $0 & ScalarClass.number != 0 }
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = index
        var startBits = bits
        if value == 0x20 && index + 1 < end {
            start = index + 1
            startBits = classes(scalar(start).value)
        }
        if isOther(startBits) {
            var stop = run(from: start) { isOther($0) }
            while stop < end && (bytes[stop] == 0x0A || bytes[stop] == 0x0D) { stop += 1 }
            return stop
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        var position = index
        var afterLastNewline = -1
        while position < end {
            let (next, nextLength) = scalar(position)
            if classes(next) & ScalarClass.whitespace == 0 { break }
            if next == 0x0A || next == 0x0D { afterLastNewline = position + 1 }
            position += nextLength
        }
        if afterLastNewline > 0 { return afterLastNewline }
        return whitespace(at: index)
    }
}
