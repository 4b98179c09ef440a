// Parser, expressions half: Jinja's precedence ladder (conditional → or → and → not → compare →
// + - → ~ → * / // % → ** → unary → primary with postfix, filters and tests).

extension Parser {
    /// Comma-separated expressions become a tuple (Jinja's `parse_tuple`).
    mutating func parseTuple(withConditional: Bool, endNames: Set<String> = []) throws -> Expr {
        let offset = current.offset
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty {
                guard skipOp(",") else { break }
                isTuple = true
                if isTupleEnd(endNames) { break }
            }
            items.append(withConditional ? try parseExpression() : try parseOr())
            if !isOp(",") { break }
        }
        if !isTuple { return items[0] }
        return Expr(kind: .tuple(items), offset: offset)
    }

    func isTupleEnd(_ endNames: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .eof: return true
        case .op(let o): return o == ")" || o == "]" || o == "}"
        case .name(let n): return endNames.contains(n) || n == "in" || n == "if"
        default: return false
        }
    }

    mutating func parseExpression() throws -> Expr {
        try enter(at: current.offset)
        defer { leave() }
        var expr = try parseOr()
        while isName("if") {
            let offset = current.offset
            index += 1
            let test = try parseOr()
            var otherwise: Expr? = nil
            if skipName("else") { otherwise = try parseExpression() }
            expr = Expr(kind: .conditional(test: test, then: expr, else: otherwise), offset: offset)
        }
        return expr
    }

    mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        var chain = 0
        defer { depth -= chain }
        while isName("or") {
            let offset = advance().offset
            try enter(at: offset); chain += 1
            left = Expr(kind: .or(left, try parseAnd()), offset: offset)
        }
        return left
    }

    mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        var chain = 0
        defer { depth -= chain }
        while isName("and") {
            let offset = advance().offset
            try enter(at: offset); chain += 1
            left = Expr(kind: .and(left, try parseNot()), offset: offset)
        }
        return left
    }

    mutating func parseNot() throws -> Expr {
        if isName("not") {
            let offset = advance().offset
            try enter(at: offset)
            defer { leave() }
            return Expr(kind: .not(try parseNot()), offset: offset)
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> Expr {
        let offset = current.offset
        let first = try parseMath1()
        var ops: [(CompareOp, Expr)] = []
        while true {
            if ops.count > maxDepth { throw syntax("too many chained comparisons", at: offset) }
            if case .op(let o) = current.kind, let op = CompareOp(rawValue: o), op != .in, op != .notIn {
                index += 1
                ops.append((op, try parseMath1()))
            } else if isName("in") {
                index += 1
                ops.append((.in, try parseMath1()))
            } else if isName("not"), case .name("in") = peek().kind {
                index += 2
                ops.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : Expr(kind: .compare(first, ops), offset: offset)
    }

    mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        var chain = 0
        defer { depth -= chain }
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            let offset = advance().offset
            try enter(at: offset); chain += 1
            left = Expr(kind: .binary(BinaryOp(rawValue: o)!, left, try parseConcat()), offset: offset)
        }
        return left
    }

    mutating func parseConcat() throws -> Expr {
        let offset = current.offset
        var parts = [try parseMath2()]
        while skipOp("~") {
            if parts.count > 4 * maxDepth { throw syntax("too many `~` in one expression", at: offset) }
            parts.append(try parseMath2())
        }
        return parts.count == 1 ? parts[0] : Expr(kind: .concat(parts), offset: offset)
    }

    mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        var chain = 0
        defer { depth -= chain }
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            let offset = advance().offset
            try enter(at: offset); chain += 1
            left = Expr(kind: .binary(BinaryOp(rawValue: o)!, left, try parsePow()), offset: offset)
        }
        return left
    }

    mutating func parsePow() throws -> Expr {
        var left = try parseUnary(withFilter: true)
        var chain = 0
        defer { depth -= chain }
        while isOp("**") {
            let offset = advance().offset
            try enter(at: offset); chain += 1
            left = Expr(kind: .binary(.pow, left, try parseUnary(withFilter: true)), offset: offset)
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool) throws -> Expr {
        let offset = current.offset
        try enter(at: offset)
        defer { leave() }
        var node: Expr
        if skipOp("-") {
            node = Expr(kind: .negate(try parseUnary(withFilter: false)), offset: offset)
        } else if skipOp("+") {
            node = Expr(kind: .plus(try parseUnary(withFilter: false)), offset: offset)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .name(let name):
            index += 1
            switch name {
            case "true", "True": return Expr(kind: .literal(.bool(true)), offset: token.offset)
            case "false", "False": return Expr(kind: .literal(.bool(false)), offset: token.offset)
            case "none", "None": return Expr(kind: .literal(.none), offset: token.offset)
            default: return Expr(kind: .name(name), offset: token.offset)
            }
        case .string(var text):
            index += 1
            while case .string(let more) = current.kind { text += more; index += 1 }
            return Expr(kind: .literal(.string(text)), offset: token.offset)
        case .integer(let i):
            index += 1
            return Expr(kind: .literal(.int(i)), offset: token.offset)
        case .float(let d):
            index += 1
            return Expr(kind: .literal(.float(d)), offset: token.offset)
        case .op("("):
            index += 1
            if skipOp(")") { return Expr(kind: .tuple([]), offset: token.offset) }
            let inner = try parseTuple(withConditional: true)
            try expectOp(")")
            return inner
        case .op("["):
            index += 1
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return Expr(kind: .list(items), offset: token.offset)
        case .op("{"):
            index += 1
            var pairs: [(key: Expr, value: Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return Expr(kind: .dict(pairs), offset: token.offset)
        default:
            throw syntax("expected an expression, found \(describe(token))", at: token.offset)
        }
    }

    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var node = base
        var chain = 0
        defer { depth -= chain }
        while true {
            if isOp(".") || isOp("[") || isOp("(") { try enter(at: current.offset); chain += 1 }
            if isOp(".") {
                let offset = advance().offset
                switch current.kind {
                case .name(let name):
                    index += 1
                    node = Expr(kind: .attribute(node, name), offset: offset)
                case .integer(let i):
                    index += 1
                    node = Expr(kind: .item(node, Expr(kind: .literal(.int(i)), offset: offset)), offset: offset)
                default:
                    throw syntax("expected an attribute name after `.`, found \(describe(current))", at: current.offset)
                }
            } else if isOp("[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                node = try parseCall(node)
            } else {
                return node
            }
        }
    }

    mutating func parseSubscript(_ base: Expr) throws -> Expr {
        let offset = advance().offset
        var parts: [Expr?] = [nil]
        var colons = 0
        while !isOp("]") {
            if skipOp(":") {
                colons += 1
                guard colons <= 2 else { throw syntax("too many `:` in slice", at: current.offset) }
                parts.append(nil)
                continue
            }
            guard parts[parts.count - 1] == nil else { throw syntax("expected `]`, found \(describe(current))", at: current.offset) }
            if isOp(",") { throw syntax("tuple subscripts are not supported", at: current.offset) }
            parts[parts.count - 1] = try parseExpression()
        }
        try expectOp("]")
        if colons == 0 {
            guard let key = parts[0] else { throw syntax("empty subscript `[]`", at: offset) }
            return Expr(kind: .item(base, key), offset: offset)
        }
        while parts.count < 3 { parts.append(nil) }
        return Expr(kind: .slice(base, start: parts[0], stop: parts[1], step: parts[2]), offset: offset)
    }

    mutating func parseCallArguments() throws -> (args: [Expr], kwargs: [(String, Expr)]) {
        try expectOp("(")
        var args: [Expr] = []
        var kwargs: [(String, Expr)] = []
        while !isOp(")") {
            if !args.isEmpty || !kwargs.isEmpty {
                try expectOp(",")
                if isOp(")") { break }
            }
            if isOp("*") || isOp("**") {
                throw ChatTemplateError(.unsupported(construct: "*args"), "`*args` / `**kwargs` in calls are not supported",
                                        at: source.location(current.offset))
            }
            if case .name(let name) = current.kind, case .op("=") = peek().kind {
                index += 2
                kwargs.append((name, try parseExpression()))
            } else {
                if !kwargs.isEmpty { throw syntax("positional argument follows keyword argument", at: current.offset) }
                args.append(try parseExpression())
            }
        }
        try expectOp(")")
        return (args, kwargs)
    }

    mutating func parseCall(_ callee: Expr) throws -> Expr {
        let offset = current.offset
        let (args, kwargs) = try parseCallArguments()
        return Expr(kind: .call(callee, args: args, kwargs: kwargs), offset: offset)
    }

    /// `| name(args) | name …`; with `first`, the leading `|` is absent (`{% filter name %}`).
    mutating func parseFilterChain(first: Bool) throws -> [FilterCall] {
        var filters: [FilterCall] = []
        var needPipe = !first
        while true {
            if needPipe { guard skipOp("|") else { break } }
            needPipe = true
            let offset = current.offset
            var name = try expectName()
            while skipOp(".") { name += "." + (try expectName()) }
            var args: [Expr] = []
            var kwargs: [(String, Expr)] = []
            if isOp("(") { (args, kwargs) = try parseCallArguments() }
            filters.append(FilterCall(name: name, args: args, kwargs: kwargs, offset: offset))
        }
        return filters
    }

    mutating func parseFilterExpression(_ base: Expr) throws -> Expr {
        var node = base
        var chain = 0
        defer { depth -= chain }
        while true {
            if isOp("|") || isName("is") || isOp("(") { try enter(at: current.offset); chain += 1 }
            if isOp("|") {
                for filter in try parseFilterChain(first: false) {
                    try enter(at: filter.offset); chain += 1
                    node = Expr(kind: .filter(node, filter), offset: filter.offset)
                }
            } else if isName("is") {
                let offset = advance().offset
                let negated = skipName("not")
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                var args: [Expr] = []
                if isOp("(") {
                    let (positional, kwargs) = try parseCallArguments()
                    if !kwargs.isEmpty { throw syntax("tests take no keyword arguments", at: offset) }
                    args = positional
                } else if startsTestArgument() {
                    if isName("is") { throw syntax("tests cannot be chained with `is`", at: current.offset) }
                    args = [try parsePostfix(try parsePrimary())]
                }
                node = Expr(kind: .test(node, name: name, args: args, negated: negated), offset: offset)
            } else if isOp("(") {
                node = try parseCall(node)
            } else {
                return node
            }
        }
    }

    func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "(" || o == "[" || o == "{"
        default: return false
        }
    }
}
