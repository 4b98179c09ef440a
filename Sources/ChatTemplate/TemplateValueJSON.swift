// JSON → TemplateValue keeping object key order (Foundation's JSONSerialization does not), so
// dataset rows and tool schemas render with `tojson`/`items()` exactly as Python would.

extension TemplateValue {
    /// Parses JSON text (RFC 8259). Integers without fraction or exponent become `.int`, as in
    /// Python's `json`; object keys keep their order. Nesting is limited to `maxDepth`.
    public init(json: String, maxDepth: Int = 256) throws {
        var parser = JSONTextParser(scalars: Array(json.unicodeScalars), maxDepth: maxDepth)
        parser.skipWhitespace()
        self = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.pos == parser.scalars.count else { throw parser.error("unexpected text after the JSON value") }
    }
}

private struct JSONTextParser {
    let scalars: [Unicode.Scalar]
    let maxDepth: Int
    var pos = 0

    init(scalars: [Unicode.Scalar], maxDepth: Int) {
        self.scalars = scalars
        self.maxDepth = maxDepth
    }

    func error(_ message: String) -> ChatTemplateError {
        ChatTemplateError(.syntax, "invalid JSON at offset \(pos): \(message)")
    }

    mutating func skipWhitespace() {
        while pos < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[pos]) { pos += 1 }
    }

    mutating func expect(_ literal: String) throws {
        for s in literal.unicodeScalars {
            guard pos < scalars.count, scalars[pos] == s else { throw error("expected `\(literal)`") }
            pos += 1
        }
    }

    mutating func parseValue(depth: Int) throws -> TemplateValue {
        guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        guard pos < scalars.count else { throw error("unexpected end of input") }
        switch scalars[pos] {
        case "{":
            pos += 1
            var dict = TemplateDictionary()
            skipWhitespace()
            if pos < scalars.count, scalars[pos] == "}" { pos += 1; return .dict(dict) }
            while true {
                skipWhitespace()
                guard pos < scalars.count, scalars[pos] == "\"" else { throw error("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                dict[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard pos < scalars.count else { throw error("unterminated object") }
                if scalars[pos] == "," { pos += 1; continue }
                if scalars[pos] == "}" { pos += 1; return .dict(dict) }
                throw error("expected `,` or `}`")
            }
        case "[":
            pos += 1
            var items: [TemplateValue] = []
            skipWhitespace()
            if pos < scalars.count, scalars[pos] == "]" { pos += 1; return .list(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard pos < scalars.count else { throw error("unterminated array") }
                if scalars[pos] == "," { pos += 1; continue }
                if scalars[pos] == "]" { pos += 1; return .list(items) }
                throw error("expected `,` or `]`")
            }
        case "\"": return .string(try parseString())
        case "t": try expect("true"); return .bool(true)
        case "f": try expect("false"); return .bool(false)
        case "n": try expect("null"); return .none
        default: return try parseNumber()
        }
    }

    mutating func parseNumber() throws -> TemplateValue {
        let start = pos
        var isFloat = false
        while pos < scalars.count {
            let c = scalars[pos]
            if isDigit(c) || c == "-" || c == "+" { pos += 1 }
            else if c == "." || c == "e" || c == "E" { isFloat = true; pos += 1 }
            else { break }
        }
        let text = String(String.UnicodeScalarView(scalars[start..<pos]))
        if !isFloat, let i = Int(text) { return .int(i) }
        if let d = Double(text), !text.isEmpty { return .double(d) }
        pos = start
        throw error("expected a value")
    }

    mutating func parseString() throws -> String {
        pos += 1
        var out = String.UnicodeScalarView()
        while pos < scalars.count {
            let c = scalars[pos]
            pos += 1
            if c == "\"" { return String(out) }
            guard c == "\\" else { out.append(c); continue }
            guard pos < scalars.count else { break }
            let e = scalars[pos]
            pos += 1
            switch e {
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            case "/": out.append("/")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "u":
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code), pos + 1 < scalars.count, scalars[pos] == "\\", scalars[pos + 1] == "u" {
                    pos += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in a \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: throw error("invalid escape `\\\(e)`")
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= scalars.count,
              let v = UInt32(String(String.UnicodeScalarView(scalars[pos..<pos + 4])), radix: 16) else {
            throw error("invalid \\u escape")
        }
        pos += 4
        return v
    }
}
