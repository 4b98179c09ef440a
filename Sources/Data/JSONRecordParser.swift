// A strict JSON (RFC 8259) parser over UTF-8 bytes that keeps object key order and reports errors
// as line:column, so a malformed dataset row can be pointed at in an editor.
import Basics
import ChatTemplate
import Foundation

/// A JSON syntax error at a 1-based line and column (columns count bytes).
struct JSONSyntaxError: Error {
    var line: Int
    var column: Int
    var message: String
}

/// Parses JSON values from a byte buffer; tracks the line of each position for messages.
struct JSONRecordParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    private var line: Int
    private var lineStart: Int
    private let maxDepth = 128

    /// Parses `bytes[start...]`; `firstLine` is the file line `start` is on.
    init(_ bytes: UnsafeBufferPointer<UInt8>, start: Int = 0, firstLine: Int = 1) {
        self.bytes = bytes
        position = start
        line = firstLine
        lineStart = start
    }

    var currentLine: Int { line }
    var atEnd: Bool { position >= bytes.count }

    func error(_ message: String) -> JSONSyntaxError { error(message, at: position) }

    /// An error at `offset`, which must be on the current line.
    func error(_ message: String, at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: offset - lineStart + 1, message: message)
    }

    /// One complete document: a value and nothing but whitespace after it.
    mutating func parseDocument() throws -> TemplateValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard atEnd else { throw error("unexpected text after the JSON value") }
        return value
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0D: position += 1
            case 0x0A: position += 1; line += 1; lineStart = position
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws -> TemplateValue {
        guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return .list(try parseArray(depth: depth) { parser in try parser.parseValue(depth: depth + 1) })
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .none
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character `\(String(decoding: [bytes[position]], as: UTF8.self))`, expected a value")
        }
    }

    /// `[` element (`,` element)* `]`, each element parsed by `element` (which also learns its line).
    mutating func parseArray<T>(depth: Int, _ element: (inout JSONRecordParser) throws -> T) throws -> [T] {
        position += 1
        var items: [T] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return items }
        while true {
            skipWhitespace()
            items.append(try element(&self))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input inside an array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return items }
            throw error("expected `,` or `]` in an array")
        }
    }

    mutating func parseObject(depth: Int) throws -> TemplateValue {
        var dict = TemplateDictionary()
        try parseMembers { parser, key in dict[key] = try parser.parseValue(depth: depth + 1) }
        return .dict(dict)
    }

    /// `{` key `:` value (`,` …)* `}`; `member` parses each value (the parser stands at it).
    mutating func parseMembers(_ member: (inout JSONRecordParser, String) throws -> Void) throws {
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string key in an object") }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected `:` after key \"\(key)\"") }
            position += 1
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input inside an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return }
            throw error("expected `,` or `}` in an object")
        }
    }

    /// The next byte, without consuming it.
    func peekByte() throws -> UInt8 {
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        return bytes[position]
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count,
              memcmp(bytes.baseAddress! + position, literal.utf8Start, count) == 0
        else { throw error("invalid literal, expected `\(literal)`") }
        position += count
    }

    private mutating func parseNumber() throws -> TemplateValue {
        let start = position
        var isInteger = true
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number") }
        if bytes[position] == UInt8(ascii: "0") { position += 1 } else { while position < bytes.count, isDigit(bytes[position]) { position += 1 } }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number: digits expected after `.`") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number: digits expected in the exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw error("invalid number `\(text)`") }
        return .double(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func parseString() throws -> String {
        do {
            let (text, end) = try JSONStringDecoder.decode(UnsafeRawBufferPointer(bytes), openingQuote: position, .replacing)
            position = end
            return text
        } catch let failure {
            throw error(failure.message, at: failure.offset)  // a string never spans lines
        }
    }
}
