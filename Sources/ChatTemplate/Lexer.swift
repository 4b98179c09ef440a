// Lexer: template text → tokens, with Jinja's whitespace control exactly as transformers
// configures it (trim_blocks=True, lstrip_blocks=True, `-`/`+` modifiers on every tag).

enum TokenKind: Equatable {
    case data(String)
    case variableBegin, variableEnd, blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case eof
}

struct Token {
    var kind: TokenKind
    /// Scalar offset in `SourceText.scalars`.
    var offset: Int
}

struct Lexer {
    private let text: [Unicode.Scalar]
    private let source: SourceText
    private var pos = 0
    private var tokens: [Token] = []
    /// Jinja's `line_starting`: the previous match ended with a newline (lstrip may apply at 0).
    private var lineStarting = true

    static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                            ".", ":", "|", ",", "(", ")", "[", "]", "{", "}"]

    init(_ source: SourceText) {
        self.source = source
        self.text = source.scalars
    }

    static func tokenize(_ source: SourceText) throws -> [Token] {
        var lexer = Lexer(source)
        try lexer.run()
        return lexer.tokens
    }

    private func error(_ message: String, at offset: Int) -> ChatTemplateError {
        ChatTemplateError(.syntax, message, at: source.location(offset))
    }

    private func has(_ literal: String, at offset: Int) -> Bool {
        var index = offset
        for scalar in literal.unicodeScalars {
            guard index < text.count, text[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private mutating func run() throws {
        while pos < text.count {
            guard let tagStart = nextTagStart(from: pos) else {
                emitData(pos..<text.count)
                break
            }
            let opener = text[tagStart + 1]
            var afterOpener = tagStart + 2
            var sign: Unicode.Scalar? = nil
            if afterOpener < text.count, text[afterOpener] == "-" || text[afterOpener] == "+" {
                sign = text[afterOpener]
                afterOpener += 1
            }
            var data = Array(text[pos..<tagStart])
            if sign == "-" {
                while let last = data.last, isPythonWhitespace(last) { data.removeLast() }
            } else if sign != "+" && opener != "{" {
                // lstrip_blocks: drop spaces between the line start and a block or comment tag.
                let lineStart = (data.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if (lineStart > 0 || lineStarting) && lineStart < data.count
                    && data[lineStart...].allSatisfy(isPythonWhitespace) {
                    data.removeSubrange(lineStart...)
                }
            }
            if !data.isEmpty { tokens.append(Token(kind: .data(String(String.UnicodeScalarView(data))), offset: pos)) }
            pos = afterOpener
            switch opener {
            case "#": try skipComment(openedAt: tagStart)
            case "%":
                if try lexRawBlock(openedAt: tagStart) { continue }
                tokens.append(Token(kind: .blockBegin, offset: tagStart))
                try lexTagBody(isBlock: true, openedAt: tagStart)
            default:
                tokens.append(Token(kind: .variableBegin, offset: tagStart))
                try lexTagBody(isBlock: false, openedAt: tagStart)
            }
        }
        tokens.append(Token(kind: .eof, offset: text.count))
    }

    private mutating func emitData(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        tokens.append(Token(kind: .data(String(String.UnicodeScalarView(text[range]))), offset: range.lowerBound))
        pos = range.upperBound
    }

    private func nextTagStart(from start: Int) -> Int? {
        var index = start
        while index + 1 < text.count {
            if text[index] == "{" {
                let next = text[index + 1]
                if next == "{" || next == "%" || next == "#" { return index }
            }
            index += 1
        }
        return nil
    }

    /// After a block or comment end: `-` eats all following whitespace, `+` nothing, and plain
    /// ends eat one newline (trim_blocks).
    private mutating func applyEndControl(_ sign: Unicode.Scalar?, trimBlocks: Bool) {
        if sign == "-" {
            while pos < text.count, isPythonWhitespace(text[pos]) { pos += 1 }
        } else if sign == nil && trimBlocks && pos < text.count && text[pos] == "\n" {
            pos += 1
        }
        lineStarting = pos > 0 && text[pos - 1] == "\n"
    }

    private mutating func skipComment(openedAt start: Int) throws {
        var index = pos
        while index + 1 < text.count {
            if text[index] == "#" && text[index + 1] == "}" {
                let sign: Unicode.Scalar? = index > pos && (text[index - 1] == "-" || text[index - 1] == "+") ? text[index - 1] : nil
                pos = index + 2
                applyEndControl(sign, trimBlocks: true)
                return
            }
            index += 1
        }
        throw error("comment opened here is never closed with `#}`", at: start)
    }

    /// `{% raw %}…{% endraw %}`: the body is literal text.
    private mutating func lexRawBlock(openedAt start: Int) throws -> Bool {
        var index = pos
        while index < text.count, isPythonWhitespace(text[index]) { index += 1 }
        guard has("raw", at: index) else { return false }
        index += 3
        while index < text.count, isPythonWhitespace(text[index]) { index += 1 }
        var endSign: Unicode.Scalar? = nil
        if index < text.count, text[index] == "-" { endSign = "-"; index += 1 }
        guard has("%}", at: index) else { return false }
        pos = index + 2
        if endSign == "-" { while pos < text.count, isPythonWhitespace(text[pos]) { pos += 1 } }
        let bodyStart = pos
        var search = pos
        while let tag = nextTagStart(from: search) {
            var probe = tag + 2
            var innerSign: Unicode.Scalar? = nil
            if text[tag + 1] == "%" {
                if probe < text.count, text[probe] == "-" || text[probe] == "+" { innerSign = text[probe]; probe += 1 }
                while probe < text.count, isPythonWhitespace(text[probe]) { probe += 1 }
                if has("endraw", at: probe) {
                    probe += 6
                    while probe < text.count, isPythonWhitespace(text[probe]) { probe += 1 }
                    var closeSign: Unicode.Scalar? = nil
                    if probe < text.count, text[probe] == "-" || text[probe] == "+" { closeSign = text[probe]; probe += 1 }
                    if has("%}", at: probe) {
                        var body = Array(text[bodyStart..<tag])
                        if innerSign == "-" {
                            while let last = body.last, isPythonWhitespace(last) { body.removeLast() }
                        } else if innerSign != "+" {
                            let lineStart = (body.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                            if lineStart > 0 && lineStart < body.count && body[lineStart...].allSatisfy(isPythonWhitespace) {
                                body.removeSubrange(lineStart...)
                            }
                        }
                        if !body.isEmpty {
                            tokens.append(Token(kind: .data(String(String.UnicodeScalarView(body))), offset: bodyStart))
                        }
                        pos = probe + 2
                        applyEndControl(closeSign, trimBlocks: true)
                        return true
                    }
                }
            }
            search = tag + 1
        }
        throw error("`{% raw %}` opened here is never closed with `{% endraw %}`", at: start)
    }

    /// Expression tokens up to the matching `}}` / `%}` (only at bracket depth 0, as Jinja does).
    private mutating func lexTagBody(isBlock: Bool, openedAt start: Int) throws {
        var depth: [Unicode.Scalar] = []
        while true {
            while pos < text.count, isPythonWhitespace(text[pos]) { pos += 1 }
            guard pos < text.count else {
                throw error(isBlock ? "block tag opened here is never closed with `%}`"
                                    : "expression opened here is never closed with `}}`", at: start)
            }
            if depth.isEmpty {
                let close = isBlock ? "%}" : "}}"
                var sign: Unicode.Scalar? = nil
                var at = pos
                if text[pos] == "-" || (isBlock && text[pos] == "+") { sign = text[pos]; at += 1 }
                if has(close, at: at) {
                    tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, offset: pos))
                    pos = at + 2
                    applyEndControl(sign, trimBlocks: isBlock)
                    return
                }
            }
            let c = text[pos]
            let tokenStart = pos
            if c == "_" || c.properties.isAlphabetic {
                var end = pos + 1
                while end < text.count, text[end] == "_" || text[end].properties.isAlphabetic || isDigit(text[end]) { end += 1 }
                tokens.append(Token(kind: .name(String(String.UnicodeScalarView(text[pos..<end]))), offset: tokenStart))
                pos = end
            } else if isDigit(c) {
                tokens.append(Token(kind: try lexNumber(), offset: tokenStart))
            } else if c == "'" || c == "\"" {
                tokens.append(Token(kind: .string(try lexString(quote: c)), offset: tokenStart))
            } else if let op = Lexer.operators.first(where: { has($0, at: pos) }) {
                switch op {
                case "(": depth.append(")")
                case "[": depth.append("]")
                case "{": depth.append("}")
                case ")", "]", "}":
                    guard let expected = depth.popLast(), String(expected) == op else {
                        throw error("unexpected `\(op)`", at: pos)
                    }
                default: break
                }
                tokens.append(Token(kind: .op(op), offset: tokenStart))
                pos += op.unicodeScalars.count
            } else {
                throw error("unexpected character `\(c)`", at: pos)
            }
        }
    }

    private mutating func lexNumber() throws -> TokenKind {
        let start = pos
        func digits() { while pos < text.count, isDigit(text[pos]) || text[pos] == "_" { pos += 1 } }
        digits()
        var isFloat = false
        if pos + 1 < text.count, text[pos] == ".", isDigit(text[pos + 1]) {
            isFloat = true
            pos += 1
            digits()
        }
        if pos < text.count, text[pos] == "e" || text[pos] == "E" {
            var probe = pos + 1
            if probe < text.count, text[probe] == "+" || text[probe] == "-" { probe += 1 }
            if probe < text.count, isDigit(text[probe]) {
                isFloat = true
                pos = probe
                digits()
            }
        }
        let literal = String(String.UnicodeScalarView(text[start..<pos])).replacingOccurrences(of: "_", with: "")
        if isFloat, let value = Double(literal) { return .float(value) }
        if let value = Int(literal) { return .integer(value) }
        throw error("number `\(literal)` is too large (integers are 64-bit here)", at: start)
    }

    /// A quoted string with Python's escapes (`\n`, `\t`, `\\`, `\'`, `\"`, `\xNN`, `\uNNNN`, …).
    private mutating func lexString(quote: Unicode.Scalar) throws -> String {
        let start = pos
        pos += 1
        var out = String.UnicodeScalarView()
        while pos < text.count {
            let c = text[pos]
            if c == quote { pos += 1; return String(out) }
            if c == "\\", pos + 1 < text.count {
                let e = text[pos + 1]
                pos += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\": out.append("\\")
                case "'": out.append("'")
                case "\"": out.append("\"")
                case "a": out.append("\u{07}")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    guard pos + width <= text.count,
                          let code = UInt32(String(String.UnicodeScalarView(text[pos..<pos + width])), radix: 16),
                          let scalar = Unicode.Scalar(code) else {
                        throw error("invalid `\\\(e)` escape in string", at: pos - 2)
                    }
                    out.append(scalar)
                    pos += width
                case "0"..."7":
                    var code = e.value - 48
                    var count = 1
                    while count < 3, pos < text.count, text[pos].value >= 48, text[pos].value <= 55 {
                        code = code * 8 + text[pos].value - 48
                        pos += 1
                        count += 1
                    }
                    out.append(Unicode.Scalar(code)!)
                default:
                    out.append("\\")
                    out.append(e)
                }
                continue
            }
            out.append(c)
            pos += 1
        }
        throw error("string opened here is never closed", at: start)
    }
}
