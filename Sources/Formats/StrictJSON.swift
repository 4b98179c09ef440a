// A small strict JSON parser for untrusted file headers (safetensors, shard indexes). Unlike
// JSONSerialization it keeps member order, rejects duplicate keys, and bounds nesting depth;
// errors give the byte offset.

/// A parsed JSON value. Objects keep their members in document order.
enum JSONValue: Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number's text exactly as written (so large integers are never rounded).
    case number(String)
    case bool(Bool)
    case null

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case (.null, .null): true
        default: false
        }
    }

    /// A non-negative integer without sign, fraction or exponent that fits in Int; else nil.
    var nonNegativeInt: Int? {
        guard case let .number(text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    var typeName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a bool"
        case .null: "null"
        }
    }
}

/// Thrown by `StrictJSON.parse`: what is wrong and at which byte of the JSON text.
struct JSONSyntaxError: Error {
    var offset: Int
    var message: String
}

enum StrictJSON {
    static let maxDepth = 64

    /// Parses one JSON document (surrounding whitespace allowed, nothing else).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.at == bytes.count else { throw parser.fail("unexpected text after the JSON value") }
        return value
    }

    static func parse(_ text: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: at, message: message) }

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func skipWhitespace() {
            while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { at += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard peek == byte else { throw fail("invalid literal, expected '\(literal)'") }
                at += 1
            }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth) levels") }
            guard let c = peek else { throw fail("unexpected end of JSON") }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character '\(Unicode.Scalar(c))'")
            }
        }

        mutating func object(depth: Int) throws -> JSONValue {
            at += 1
            var members: [(key: String, value: JSONValue)] = []
            var seen = Set<String>()
            skipWhitespace()
            if peek == UInt8(ascii: "}") { at += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyOffset = at
                let key = try string()
                guard seen.insert(key).inserted else {
                    throw JSONSyntaxError(offset: keyOffset, message: "duplicate key \"\(key)\"")
                }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
                at += 1
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): at += 1
                case UInt8(ascii: "}"): at += 1; return .object(members)
                default: throw fail("expected ',' or '}' in object")
                }
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            at += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") { at += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): at += 1
                case UInt8(ascii: "]"): at += 1; return .array(items)
                default: throw fail("expected ',' or ']' in array")
                }
            }
        }

        mutating func number() throws -> JSONValue {
            let start = at
            if peek == UInt8(ascii: "-") { at += 1 }
            func digits(_ p: inout Parser) -> Int {
                let s = p.at
                while let c = p.peek, c >= 0x30, c <= 0x39 { p.at += 1 }
                return p.at - s
            }
            let intStart = at
            guard digits(&self) > 0 else { throw fail("invalid number") }
            if bytes[intStart] == 0x30, at - intStart > 1 { throw JSONSyntaxError(offset: intStart, message: "numbers may not have leading zeros") }
            if peek == UInt8(ascii: ".") {
                at += 1
                guard digits(&self) > 0 else { throw fail("invalid number: digits expected after '.'") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                at += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
                guard digits(&self) > 0 else { throw fail("invalid number: digits expected in exponent") }
            }
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< at]), as: UTF8.self))
        }

        mutating func string() throws -> String {
            at += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard let c = peek else { throw fail("unterminated string") }
                switch c {
                case UInt8(ascii: "\""):
                    at += 1
                    guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    at += 1
                    guard let e = peek else { throw fail("unterminated escape") }
                    at += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800 ..< 0xDC00).contains(scalar) {
                            guard peek == UInt8(ascii: "\\") else { throw fail("unpaired surrogate in \\u escape") }
                            at += 1
                            guard peek == UInt8(ascii: "u") else { throw fail("unpaired surrogate in \\u escape") }
                            at += 1
                            let low = try hex4()
                            guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("invalid low surrogate in \\u escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00 ..< 0xE000).contains(scalar) {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                    default: throw fail("invalid escape '\\\(Unicode.Scalar(e))'")
                    }
                default:
                    guard c >= 0x20 else { throw fail("control character in string (must be escaped)") }
                    out.append(c)
                    at += 1
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            var v: UInt32 = 0
            for _ in 0 ..< 4 {
                guard let c = peek else { throw fail("truncated \\u escape") }
                let digit: UInt32
                switch c {
                case 0x30 ... 0x39: digit = UInt32(c - 0x30)
                case 0x41 ... 0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61 ... 0x66: digit = UInt32(c - 0x61 + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                v = v << 4 | digit
                at += 1
            }
            return v
        }
    }
}

/// JSON text output matching serde_json's compact form (what the safetensors reference writes):
/// only `"`, `\` and control characters are escaped; other characters stay UTF-8.
enum JSONText {
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
