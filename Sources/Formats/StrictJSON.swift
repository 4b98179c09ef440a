// A small strict JSON parser for untrusted file headers (safetensors, shard indexes). Unlike
// JSONSerialization it keeps member order, rejects duplicate keys, and bounds nesting depth;
// errors give the byte offset.

import Basics

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

    /// Parses one JSON document (surrounding whitespace allowed, nothing else). Arrays longer than
    /// `maxArrayLength` are rejected (a header that only holds shapes needs no long arrays, and
    /// each element costs far more in memory than its two bytes of text).
    static func parse(_ bytes: UnsafeRawBufferPointer, maxArrayLength: Int = .max) throws -> JSONValue {
        var parser = Parser(bytes: bytes, maxArrayLength: maxArrayLength)
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
        let maxArrayLength: Int
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
                guard items.count < maxArrayLength else { throw fail("array longer than \(maxArrayLength) elements") }
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
            do {
                let (text, end) = try JSONStringDecoder.decode(bytes, openingQuote: at, .strict)
                at = end
                return text
            } catch let failure {
                throw JSONSyntaxError(offset: failure.offset, message: failure.message)
            }
        }
    }
}
