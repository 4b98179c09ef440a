// Parser, statements half: tokens → [Stmt]. Tags this subset does not implement are rejected
// here with their name and line:col, before anything renders.

struct Parser {
    let source: SourceText
    var tokens: [Token]
    var index = 0
    /// Current nesting of blocks and sub-expressions, bounded so hostile input cannot overflow
    /// the stack.
    var depth = 0
    let maxDepth: Int

    static let unsupportedTags: Set<String> = ["include", "import", "from", "extends", "block", "with",
                                                "autoescape", "do", "trans", "pluralize", "debug"]

    init(source: SourceText, tokens: [Token], maxDepth: Int) {
        self.source = source
        self.tokens = tokens
        self.maxDepth = maxDepth
    }

    static func parse(_ source: SourceText, maxDepth: Int) throws -> [Stmt] {
        var parser = Parser(source: source, tokens: try Lexer.tokenize(source), maxDepth: maxDepth)
        let (body, end) = try parser.parseBody(until: [])
        if let end { throw parser.syntax("unexpected `{% \(end.name) %}`: no open block ends here", at: end.offset) }
        try Validator(source: source).check(body)
        return body
    }

    // MARK: token helpers

    var current: Token { tokens[index] }
    func peek(_ ahead: Int = 1) -> Token { tokens[min(index + ahead, tokens.count - 1)] }
    mutating func advance() -> Token { defer { if index < tokens.count - 1 { index += 1 } }; return tokens[index] }

    func syntax(_ message: String, at offset: Int) -> ChatTemplateError {
        ChatTemplateError(.syntax, message, at: source.location(offset))
    }

    func isOp(_ op: String) -> Bool { if case .op(op) = current.kind { return true }; return false }
    func isName(_ name: String) -> Bool { if case .name(name) = current.kind { return true }; return false }

    mutating func skipOp(_ op: String) -> Bool {
        if isOp(op) { index += 1; return true }
        return false
    }
    mutating func skipName(_ name: String) -> Bool {
        if isName(name) { index += 1; return true }
        return false
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw syntax("expected `\(op)`, found \(describe(current))", at: current.offset) }
    }

    mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else {
            throw syntax("expected a name, found \(describe(current))", at: current.offset)
        }
        index += 1
        return name
    }

    mutating func expectBlockEnd() throws {
        guard case .blockEnd = current.kind else {
            throw syntax("expected `%}` to end the tag, found \(describe(current))", at: current.offset)
        }
        index += 1
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .data: return "template text"
        case .variableBegin: return "`{{`"
        case .variableEnd: return "`}}`"
        case .blockBegin: return "`{%`"
        case .blockEnd: return "`%}`"
        case .name(let n): return "`\(n)`"
        case .string(let s): return "string \(pyStringRepr(s))"
        case .integer(let i): return "`\(i)`"
        case .float(let d): return "`\(pyFloatRepr(d))`"
        case .op(let o): return "`\(o)`"
        case .eof: return "end of template"
        }
    }

    mutating func enter(at offset: Int) throws {
        depth += 1
        if depth > maxDepth {
            throw ChatTemplateError(.limitExceeded(limit: "nesting depth"),
                                    "template nests blocks or expressions deeper than \(maxDepth) levels",
                                    at: source.location(offset), hint: "raise Limits.maxNestingDepth if this template is trusted")
        }
    }
    mutating func leave() { depth -= 1 }

    // MARK: statements

    /// Parses statements until a block tag named in `endNames`; returns that tag's name and offset
    /// with the stream positioned just after the name.
    mutating func parseBody(until endNames: Set<String>) throws -> ([Stmt], (name: String, offset: Int)?) {
        var body: [Stmt] = []
        while true {
            let token = current
            switch token.kind {
            case .eof:
                return (body, nil)
            case .data(let text):
                index += 1
                body.append(Stmt(kind: .text(text), offset: token.offset))
            case .variableBegin:
                index += 1
                let expr = try parseTuple(withConditional: true)
                guard case .variableEnd = current.kind else {
                    throw syntax("expected `}}` to end the expression, found \(describe(current))", at: current.offset)
                }
                index += 1
                body.append(Stmt(kind: .output(expr), offset: token.offset))
            case .blockBegin:
                index += 1
                guard case .name(let name) = current.kind else {
                    throw syntax("expected a tag name after `{%`, found \(describe(current))", at: current.offset)
                }
                if endNames.contains(name) {
                    let offset = current.offset
                    index += 1
                    return (body, (name, offset))
                }
                body.append(try parseStatement(name: name, at: token.offset))
            default:
                throw syntax("unexpected \(describe(token))", at: token.offset)
            }
        }
    }

    /// A body that must end with one of `endNames`; fails at EOF naming the opening tag.
    mutating func parseRequiredBody(until endNames: Set<String>, opener: String, at offset: Int) throws
        -> ([Stmt], String) {
        try enter(at: offset)
        defer { leave() }
        let (body, end) = try parseBody(until: endNames)
        guard let end else {
            let expected = endNames.sorted().map { "`{% \($0) %}`" }.joined(separator: " or ")
            throw syntax("`{% \(opener) %}` opened here is never closed (expected \(expected))", at: offset)
        }
        return (body, end.name)
    }

    mutating func parseStatement(name: String, at offset: Int) throws -> Stmt {
        let nameOffset = current.offset
        index += 1
        switch name {
        case "if": return try parseIf(at: offset)
        case "for": return try parseFor(at: offset)
        case "set": return try parseSet(at: offset)
        case "macro": return try parseMacro(at: offset)
        case "call": return try parseCallBlock(at: offset)
        case "filter":
            let filters = try parseFilterChain(first: true)
            try expectBlockEnd()
            let (body, _) = try parseRequiredBody(until: ["endfilter"], opener: "filter", at: offset)
            try expectBlockEnd()
            return Stmt(kind: .filterBlock(filters, body: body), offset: offset)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseRequiredBody(until: ["endgeneration"], opener: "generation", at: offset)
            try expectBlockEnd()
            return Stmt(kind: .generation(body), offset: offset)
        case "break", "continue":
            try expectBlockEnd()
            return Stmt(kind: name == "break" ? .breakLoop : .continueLoop, offset: offset)
        case "print":
            let expr = try parseTuple(withConditional: true)
            try expectBlockEnd()
            return Stmt(kind: .output(expr), offset: offset)
        default:
            if Parser.unsupportedTags.contains(name) {
                throw ChatTemplateError(.unsupported(construct: "{% \(name) %}"),
                                        "`{% \(name) %}` is not supported: a chat template may only use the data it is given",
                                        at: source.location(nameOffset),
                                        hint: "inline the referenced template text")
            }
            if name.hasPrefix("end") || ["elif", "else"].contains(name) {
                throw syntax("unexpected `{% \(name) %}`: no open block ends here", at: nameOffset)
            }
            throw ChatTemplateError(.unsupported(construct: "{% \(name) %}"), "unknown tag `{% \(name) %}`",
                                    at: source.location(nameOffset))
        }
    }

    mutating func parseIf(at offset: Int) throws -> Stmt {
        var branches: [(test: Expr, body: [Stmt])] = []
        var elseBody: [Stmt] = []
        while true {
            let test = try parseTuple(withConditional: false)
            try expectBlockEnd()
            let (body, end) = try parseRequiredBody(until: ["elif", "else", "endif"], opener: "if", at: offset)
            branches.append((test, body))
            if end == "elif" { continue }
            if end == "else" {
                try expectBlockEnd()
                (elseBody, _) = try parseRequiredBody(until: ["endif"], opener: "if", at: offset)
            }
            try expectBlockEnd()
            break
        }
        return Stmt(kind: .ifChain(branches, else: elseBody), offset: offset)
    }

    mutating func parseFor(at offset: Int) throws -> Stmt {
        var names = [try expectName()]
        while skipOp(",") {
            if isName("in") { break }
            names.append(try expectName())
        }
        guard skipName("in") else { throw syntax("expected `in` in for loop, found \(describe(current))", at: current.offset) }
        let iterable = try parseTuple(withConditional: false, endNames: ["recursive"])
        var filter: Expr? = nil
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") {
            throw ChatTemplateError(.unsupported(construct: "recursive for"), "recursive for loops are not supported",
                                    at: source.location(current.offset))
        }
        try expectBlockEnd()
        let (body, end) = try parseRequiredBody(until: ["endfor", "else"], opener: "for", at: offset)
        var elseBody: [Stmt] = []
        if end == "else" {
            try expectBlockEnd()
            (elseBody, _) = try parseRequiredBody(until: ["endfor"], opener: "for", at: offset)
        }
        try expectBlockEnd()
        return Stmt(kind: .forLoop(target: names, iterable: iterable, filter: filter, body: body, else: elseBody), offset: offset)
    }

    mutating func parseAssignTarget() throws -> AssignTarget {
        let first = try expectName()
        if skipOp(".") {
            return .namespaceAttribute(namespace: first, attribute: try expectName())
        }
        var names = [first]
        while skipOp(",") {
            guard case .name = current.kind else { break }
            names.append(try expectName())
        }
        return .names(names)
    }

    mutating func parseSet(at offset: Int) throws -> Stmt {
        let target = try parseAssignTarget()
        if skipOp("=") {
            let value = try parseTuple(withConditional: true)
            try expectBlockEnd()
            return Stmt(kind: .set(target, value), offset: offset)
        }
        var filters: [FilterCall] = []
        if isOp("|") { filters = try parseFilterChain(first: false) }
        try expectBlockEnd()
        let (body, _) = try parseRequiredBody(until: ["endset"], opener: "set", at: offset)
        try expectBlockEnd()
        return Stmt(kind: .setBlock(target, filters: filters, body: body), offset: offset)
    }

    mutating func parseSignature() throws -> (parameters: [String], defaults: [Expr]) {
        var parameters: [String] = []
        var defaults: [Expr] = []
        try expectOp("(")
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let nameOffset = current.offset
            parameters.append(try expectName())
            if skipOp("=") {
                defaults.append(try parseExpression())
            } else if !defaults.isEmpty {
                throw syntax("parameter without a default follows one with a default", at: nameOffset)
            }
        }
        try expectOp(")")
        return (parameters, defaults)
    }

    mutating func parseMacro(at offset: Int) throws -> Stmt {
        let name = try expectName()
        let (parameters, defaults) = try parseSignature()
        try expectBlockEnd()
        let (body, _) = try parseRequiredBody(until: ["endmacro"], opener: "macro", at: offset)
        if case .name = current.kind { index += 1 }  // `{% endmacro name %}` is allowed
        try expectBlockEnd()
        return Stmt(kind: .macro(MacroDefinition(name: name, parameters: parameters, defaults: defaults, body: body, offset: offset)),
                    offset: offset)
    }

    mutating func parseCallBlock(at offset: Int) throws -> Stmt {
        var parameters: [String] = []
        var defaults: [Expr] = []
        if isOp("(") { (parameters, defaults) = try parseSignature() }
        let call = try parseExpression()
        guard case .call = call.kind else { throw syntax("`{% call %}` expects a macro call", at: call.offset) }
        try expectBlockEnd()
        let (body, _) = try parseRequiredBody(until: ["endcall"], opener: "call", at: offset)
        try expectBlockEnd()
        return Stmt(kind: .callBlock(call: call, callerParameters: parameters, callerDefaults: defaults, body: body), offset: offset)
    }
}
