// Reading a JSON string literal (RFC 8259 §7) out of UTF-8 bytes: escapes, `\u` surrogate pairs,
// control characters. Shared by the project's JSON parsers, which differ only in how lenient they
// are (`JSONStringDecoding`) and in how they turn a `JSONStringError`'s byte offset into a location.

/// How lenient `JSONStringDecoder` is with text that is well-formed JSON but not valid Unicode.
public struct JSONStringDecoding: Sendable, Hashable {
    /// A lone `\u` surrogate decodes as U+FFFD (as Python's `json.loads` text does once encoded
    /// with `errors="replace"`) rather than failing. A high surrogate followed by a `\u` escape
    /// that is not a low surrogate still fails.
    public var replacesLoneSurrogates: Bool
    /// Invalid UTF-8 inside the literal decodes as U+FFFD rather than failing.
    public var replacesInvalidUTF8: Bool

    public init(replacesLoneSurrogates: Bool, replacesInvalidUTF8: Bool) {
        self.replacesLoneSurrogates = replacesLoneSurrogates
        self.replacesInvalidUTF8 = replacesInvalidUTF8
    }

    /// Untrusted file headers and tokenizer files: anything that is not valid Unicode fails.
    public static let strict = JSONStringDecoding(replacesLoneSurrogates: false, replacesInvalidUTF8: false)
    /// Dataset records: what Python would read, with U+FFFD where it could not be UTF-8.
    public static let replacing = JSONStringDecoding(replacesLoneSurrogates: true, replacesInvalidUTF8: true)
}

/// Why a JSON string literal could not be read, the byte offset (into the buffer given to
/// `JSONStringDecoder.decode`) of the fault, and that of the literal's opening quote.
public struct JSONStringError: Error, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// No closing quote; `offset` is the opening quote's.
        case unterminated
        /// A raw byte below 0x20; JSON requires these escaped.
        case controlCharacter(UInt8)
        /// `\` followed by this byte, which starts no escape; `offset` is the backslash's.
        case invalidEscape(UInt8)
        /// A `\u` escape cut short by the end of the input; `offset` is the backslash's.
        case incompleteUnicodeEscape
        /// A byte in a `\u` escape that is not a hex digit; `offset` is that byte's.
        case invalidHexDigit(UInt8)
        /// A high surrogate without a low one, or a low one alone; `offset` is just past its escape.
        case unpairedSurrogate(UInt32)
        /// A high surrogate followed by a `\u` escape that is not a low surrogate; `offset` is the
        /// second escape's backslash's.
        case invalidLowSurrogate(UInt32)
        /// The literal's bytes are not UTF-8; `offset` is just past its closing quote.
        case invalidUTF8
    }

    public var reason: Reason
    public var offset: Int
    /// The offset of the literal's opening quote.
    public var literalStart: Int

    public init(_ reason: Reason, at offset: Int, literalStart: Int) {
        self.reason = reason
        self.offset = offset
        self.literalStart = literalStart
    }

    /// What is wrong, for a parser's own error message (which adds the location).
    public var message: String {
        switch reason {
        case .unterminated: return "unterminated string"
        case .controlCharacter(let byte): return "control character 0x\(Self.hex(UInt32(byte), width: 2)) in a string (escape it, e.g. \\n)"
        case .invalidEscape(let byte): return "invalid escape `\\\(Self.printable(byte))` in a string"
        case .incompleteUnicodeEscape: return "incomplete \\u escape (expected 4 hex digits)"
        case .invalidHexDigit(let byte): return "invalid hex digit `\(Self.printable(byte))` in a \\u escape"
        case .unpairedSurrogate(let unit): return "unpaired surrogate \\u\(Self.hex(unit, width: 4))"
        case .invalidLowSurrogate(let unit): return "invalid low surrogate \\u\(Self.hex(unit, width: 4)) after a high surrogate"
        case .invalidUTF8: return "string is not valid UTF-8"
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x20 ..< 0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + hex(UInt32(byte), width: 2)
    }
}

/// Reads one JSON string literal.
public enum JSONStringDecoder {
    /// Decodes the string literal whose opening quote is `bytes[quote]`; returns its text and the
    /// offset just past its closing quote. Throws at the first fault, with its byte offset.
    @inlinable
    public static func decode(_ bytes: UnsafeRawBufferPointer, openingQuote quote: Int,
                              _ decoding: JSONStringDecoding) throws(JSONStringError) -> (text: String, end: Int) {
        // Fast path: a literal without escapes is one slice of the input.
        var position = quote + 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try makeString(UnsafeRawBufferPointer(rebasing: bytes[(quote + 1) ..< position]), quote: quote, end: position + 1, decoding)
                return (text, position + 1)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw JSONStringError(.controlCharacter(byte), at: position, literalStart: quote) }
            position += 1
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[(quote + 1) ..< position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                return (try makeString(out, quote: quote, end: position + 1, decoding), position + 1)
            }
            if byte < 0x20 { throw JSONStringError(.controlCharacter(byte), at: position, literalStart: quote) }
            if byte != UInt8(ascii: "\\") { out.append(byte); position += 1; continue }
            let backslash = position
            guard position + 1 < bytes.count else { break }
            let escape = bytes[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var unit = try hex4(bytes, at: &position, backslash: backslash, quote: quote)
                if (0xD800 ..< 0xDC00).contains(unit) {
                    if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let lowBackslash = position
                        position += 2
                        let low = try hex4(bytes, at: &position, backslash: lowBackslash, quote: quote)
                        guard (0xDC00 ..< 0xE000).contains(low) else {
                            throw JSONStringError(.invalidLowSurrogate(low), at: lowBackslash, literalStart: quote)
                        }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    } else if !decoding.replacesLoneSurrogates {
                        throw JSONStringError(.unpairedSurrogate(unit), at: position, literalStart: quote)
                    }
                } else if (0xDC00 ..< 0xE000).contains(unit), !decoding.replacesLoneSurrogates {
                    throw JSONStringError(.unpairedSurrogate(unit), at: position, literalStart: quote)
                }
                appendUTF8(Unicode.Scalar(unit) ?? "\u{FFFD}", to: &out)
            default: throw JSONStringError(.invalidEscape(escape), at: backslash, literalStart: quote)
            }
        }
        throw JSONStringError(.unterminated, at: quote, literalStart: quote)
    }

    /// Four hex digits at `position` (advanced past them), for the `\u` escape at `backslash`.
    @inlinable
    static func hex4(_ bytes: UnsafeRawBufferPointer, at position: inout Int, backslash: Int, quote: Int) throws(JSONStringError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            guard position < bytes.count else { throw JSONStringError(.incompleteUnicodeEscape, at: backslash, literalStart: quote) }
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONStringError(.invalidHexDigit(byte), at: position, literalStart: quote)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    @inlinable
    static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        UTF8.encode(scalar) { out.append($0) }
    }

    @inlinable
    static func makeString(_ utf8: some Collection<UInt8>, quote: Int, end: Int, _ decoding: JSONStringDecoding) throws(JSONStringError) -> String {
        if decoding.replacesInvalidUTF8 { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else { throw JSONStringError(.invalidUTF8, at: end, literalStart: quote) }
        return text
    }
}
