// JSON string literals: the one writer of a quoted, escaped string. The project writes JSON that
// must match several reference writers byte for byte (serde_json, Python's json.dumps, its own
// canonical cache-key form); they differ only in the choices `JSONStringEscaping` names.

/// How a JSON string literal is escaped. `"` and `\` are always escaped, `\n` `\r` `\t` always
/// use their short forms, and every other control character below U+0020 becomes `\u00xx`
/// (lowercase hex). The options say what else is escaped and how.
public struct JSONStringEscaping: Sendable, Hashable {
    /// Write U+0008 and U+000C as `\b` and `\f` rather than `\u0008` and `\u000c`.
    public var shortBackspaceAndFormFeed: Bool
    /// Escape U+007F DELETE as `\u007f` rather than writing it as is.
    public var escapesDelete: Bool
    /// Escape every scalar above U+007E as `\uxxxx` UTF-16 code units (a surrogate pair above
    /// the BMP), so the text is printable ASCII — Python's `ensure_ascii`. Implies `escapesDelete`.
    public var asciiOnly: Bool

    public init(shortBackspaceAndFormFeed: Bool, escapesDelete: Bool, asciiOnly: Bool) {
        self.shortBackspaceAndFormFeed = shortBackspaceAndFormFeed
        self.escapesDelete = escapesDelete
        self.asciiOnly = asciiOnly
    }

    /// serde_json's compact writer and Python's `json.dumps(ensure_ascii=False)`: `\b` `\f`,
    /// DEL and everything above ASCII as UTF-8.
    public static let minimal = JSONStringEscaping(shortBackspaceAndFormFeed: true, escapesDelete: false, asciiOnly: false)
    /// Python's `json.dumps` default (`ensure_ascii=True`): printable ASCII only.
    public static let pythonASCII = JSONStringEscaping(shortBackspaceAndFormFeed: true, escapesDelete: true, asciiOnly: true)
}

/// Writes JSON string literals (with their quotes) under a `JSONStringEscaping`.
public enum JSONString {
    /// `text` as a quoted JSON string literal.
    public static func quoted(_ text: String, _ escaping: JSONStringEscaping) -> String {
        var out = ""
        append(text, escaping, to: &out)
        return out
    }

    /// Appends `text` as a quoted JSON string literal to `out`.
    public static func append(_ text: String, _ escaping: JSONStringEscaping, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}" where escaping.shortBackspaceAndFormFeed: out += "\\b"
            case "\u{0C}" where escaping.shortBackspaceAndFormFeed: out += "\\f"
            default:
                let value = scalar.value
                if value < 0x20 || (value == 0x7F && escaping.escapesDelete) {
                    appendUnicodeEscape(value, to: &out)
                } else if value > 0x7E && escaping.asciiOnly {
                    if value > 0xFFFF {
                        let v = value - 0x10000
                        appendUnicodeEscape(0xD800 + (v >> 10), to: &out)
                        appendUnicodeEscape(0xDC00 + (v & 0x3FF), to: &out)
                    } else {
                        appendUnicodeEscape(value, to: &out)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `\u` and four lowercase hex digits of a UTF-16 code unit.
    private static func appendUnicodeEscape(_ unit: UInt32, to out: inout String) {
        let digits = String(unit, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
