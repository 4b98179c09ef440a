// Parse-time checks, as Jinja's compiler does them: every filter and test a template names exists
// in this subset, and `break`/`continue` sit inside a loop — reported with line:col before rendering.

struct Validator {
    let source: SourceText
    var inLoop = false

    func check(_ body: [Stmt]) throws {
        for statement in body { try check(statement) }
    }

    func check(_ statement: Stmt) throws {
        switch statement.kind {
        case .text: break
        case .breakLoop, .continueLoop:
            if !inLoop {
                throw ChatTemplateError(.syntax, "`{% \(statement.kind.isBreak ? "break" : "continue") %}` outside of a for loop",
                                        at: source.location(statement.offset))
            }
        case .output(let e): try check(e)
        case .ifChain(let branches, let elseBody):
            for branch in branches { try check(branch.test); try check(branch.body) }
            try check(elseBody)
        case .forLoop(_, let iterable, let filter, let body, let elseBody):
            try check(iterable)
            if let filter { try check(filter) }
            var loopBody = self
            loopBody.inLoop = true
            try loopBody.check(body)
            try check(elseBody)
        case .set(_, let e): try check(e)
        case .setBlock(_, let filters, let body):
            for f in filters { try check(f) }
            try check(body)
        case .macro(let definition):
            for d in definition.defaults { try check(d) }
            var macroBody = self
            macroBody.inLoop = false
            try macroBody.check(definition.body)
        case .callBlock(let call, _, let defaults, let body):
            try check(call)
            for d in defaults { try check(d) }
            try check(body)
        case .filterBlock(let filters, let body):
            for f in filters { try check(f) }
            try check(body)
        case .generation(let body): try check(body)
        }
    }

    func check(_ filter: FilterCall) throws {
        guard Interpreter.supportedFilters.contains(filter.name) else {
            throw ChatTemplateError(.unsupported(construct: "filter \(filter.name)"), "unknown filter `\(filter.name)`",
                                    at: source.location(filter.offset),
                                    hint: suggestion(for: filter.name, among: Interpreter.supportedFilters, kind: "filters"))
        }
        for a in filter.args { try check(a) }
        for (_, a) in filter.kwargs { try check(a) }
    }

    func check(_ expr: Expr) throws {
        switch expr.kind {
        case .literal, .name: break
        case .list(let items), .tuple(let items), .concat(let items): for i in items { try check(i) }
        case .dict(let pairs): for p in pairs { try check(p.key); try check(p.value) }
        case .attribute(let b, _): try check(b)
        case .item(let b, let k): try check(b); try check(k)
        case .slice(let b, let s, let e, let st):
            try check(b)
            for part in [s, e, st] { if let part { try check(part) } }
        case .call(let c, let args, let kwargs):
            try check(c)
            for a in args { try check(a) }
            for (_, a) in kwargs { try check(a) }
        case .filter(let b, let f): try check(b); try check(f)
        case .test(let b, let name, let args, _):
            guard Interpreter.supportedTests.contains(name) else {
                throw ChatTemplateError(.unsupported(construct: "test \(name)"), "unknown test `\(name)`",
                                        at: source.location(expr.offset),
                                        hint: suggestion(for: name, among: Set(Interpreter.supportedTests.filter { $0.first!.isLetter }),
                                                         kind: "tests"))
            }
            try check(b)
            for a in args { try check(a) }
        case .not(let e), .negate(let e), .plus(let e): try check(e)
        case .binary(_, let l, let r), .and(let l, let r), .or(let l, let r): try check(l); try check(r)
        case .compare(let f, let ops): try check(f); for (_, e) in ops { try check(e) }
        case .conditional(let t, let a, let b): try check(t); try check(a); if let b { try check(b) }
        }
    }
}

/// "did you mean `length`?" when a known name is within two edits, else the list of known names.
func suggestion(for name: String, among known: Set<String>, kind: String) -> String {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let target = Array(name)
    let best = known.map { ($0, distance(target, Array($0))) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    if let best, best.1 <= 2 { return "did you mean `\(best.0)`?" }
    return "supported \(kind): " + known.sorted().joined(separator: ", ")
}

private extension Stmt.Kind {
    var isBreak: Bool { if case .breakLoop = self { return true }; return false }
}
