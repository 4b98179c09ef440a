// A small JSON parser for tokenizer.json that remembers where every value is, so errors can say
// `tokenizer.json:12:5`. Foundation's parser reports only a character offset and is slower on Linux.

import Basics

/// A parsed JSON value and the byte offset where it starts.
struct JSONNode {
    enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONNode])
        case object([(key: String, value: JSONNode)])
    }

    var value: Value
    var offset: Int

    subscript(key: String) -> JSONNode? {
        if case .object(let members) = value { return members.first(where: { $0.key == key })?.value }
        return nil
    }

    var isNull: Bool { if case .null = value { return true } else { return false } }

    var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Parses JSON text; syntax errors are `DiagnosticError`s located at `file:line:column`.
struct JSONParser {
    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var depth = 0
    private static let maxDepth = 256

    static func parse(_ bytes: [UInt8], file: String) throws -> JSONNode {
        var parser = JSONParser(bytes: bytes, file: file)
        parser.skipWhitespace()
        let node = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
        return node
    }

    private init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// `file:line:column` of a byte offset (columns count UTF-8 scalars, from 1).
    static func location(of offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1
        var column = 1
        for position in 0..<min(offset, bytes.count) {
            if bytes[position] == 0x0A { line += 1; column = 1 } else if bytes[position] & 0xC0 != 0x80 { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    private func error(_ message: String, at offset: Int? = nil) -> DiagnosticError {
        let location = JSONParser.location(of: offset ?? index, in: bytes, file: file)
        return DiagnosticError(Diagnostic(at: location, "invalid JSON: \(message)",
                                          hint: "the file must be a Hugging Face tokenizer.json"))
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func parseValue() throws -> JSONNode {
        guard index < bytes.count else { throw error("unexpected end of file") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"): return JSONNode(value: try parseObject(), offset: start)
        case UInt8(ascii: "["): return JSONNode(value: try parseArray(), offset: start)
        case UInt8(ascii: "\""): return JSONNode(value: .string(try parseString()), offset: start)
        case UInt8(ascii: "t"): try expectWord("true"); return JSONNode(value: .bool(true), offset: start)
        case UInt8(ascii: "f"): try expectWord("false"); return JSONNode(value: .bool(false), offset: start)
        case UInt8(ascii: "n"): try expectWord("null"); return JSONNode(value: .null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONNode(value: .number(try parseNumber()), offset: start)
        default:
            throw error("unexpected character '\(String(decoding: [bytes[index]], as: UTF8.self))'")
        }
    }

    private mutating func expectWord(_ word: String) throws {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
            throw error("expected `\(word)`")
        }
        index += utf8.count
    }

    private mutating func enter() throws {
        depth += 1
        if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
    }

    private mutating func parseObject() throws -> JSONNode.Value {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [(key: String, value: JSONNode)] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw error("expected ',' or '}' in an object")
        }
    }

    private mutating func parseArray() throws -> JSONNode.Value {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw error("expected ',' or ']' in an array")
        }
    }

    private mutating func parseNumber() throws -> Double {
        let start = index
        while index < bytes.count, let character = Optional(bytes[index]),
              (character >= UInt8(ascii: "0") && character <= UInt8(ascii: "9")) || character == UInt8(ascii: "-")
                || character == UInt8(ascii: "+") || character == UInt8(ascii: ".") || character == UInt8(ascii: "e")
                || character == UInt8(ascii: "E") {
            index += 1
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw error("malformed number", at: start)
        }
        return value
    }

    private mutating func parseString() throws -> String {
        do {
            let (text, end) = try bytes.withUnsafeBytes { (raw) throws(JSONStringError) in
                try JSONStringDecoder.decode(raw, openingQuote: index, .strict)
            }
            index = end
            return text
        } catch let failure as JSONStringError {  // Array.withUnsafeBytes rethrows it untyped
            // Bad UTF-8 points at the string it is in (docs/RELIABILITY.md).
            throw error(failure.message, at: failure.reason == .invalidUTF8 ? failure.literalStart : failure.offset)
        }
    }
}
