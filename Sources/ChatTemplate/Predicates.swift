// Jinja tests — the predicates after `is` (`x is defined`, `n is even`, `v is string`, …) that chat
// templates use.

extension Interpreter {
    static let supportedTests = ["defined", "undefined", "none", "string", "number", "integer", "float", "boolean",
                                 "mapping", "iterable", "sequence", "callable", "even", "odd", "true", "false",
                                 "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=",
                                 "gt", "greaterthan", ">", "ge", ">=", "in", "lower", "upper", "sameas"]

    func runTest(_ name: String, on value: Value, args: [Value], at offset: Int) throws -> Bool {
        func arg() throws -> Value {
            guard let first = args.first else { throw fail(.type, "test `\(name)` needs an argument", at: offset) }
            return first
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true }; return false
        case "string": if case .string = value { return true }; return false
        case "number": if case .int = value { return true }; if case .float = value { return true }; if case .bool = value { return true }; return false
        case "integer": if case .int = value { return true }; return false
        case "float": if case .float = value { return true }; return false
        case "boolean": if case .bool = value { return true }; return false
        case "true": if case .bool(true) = value { return true }; return false
        case "false": if case .bool(false) = value { return true }; return false
        case "mapping": if case .dict = value { return true }; return false
        case "iterable":
            switch value { case .list, .tuple, .dict, .string, .undefined, .namespace: return true; default: return false }
        case "sequence":
            switch value { case .list, .tuple, .dict, .string: return true; default: return false }
        case "callable":
            switch value { case .macro, .function: return true; default: return false }
        case "even", "odd", "divisibleby":
            if value.isUndefined { throw undefinedError(value, at: offset) }
            guard let i = value.integer else { throw fail(.type, "test `\(name)` needs an integer, got \(value.typeName)", at: offset) }
            if name == "even" { return i % 2 == 0 }
            if name == "odd" { return i % 2 != 0 }
            guard let d = try arg().integer, d != 0 else { throw fail(.type, "divisibleby needs a non-zero integer", at: offset) }
            return i % d == 0
        case "eq", "equalto", "==": return pyEqual(value, try arg())
        case "ne", "!=": return !pyEqual(value, try arg())
        case "lt", "lessthan", "<": return try compare(.lt, value, try arg(), at: offset)
        case "le", "<=": return try compare(.le, value, try arg(), at: offset)
        case "gt", "greaterthan", ">": return try compare(.gt, value, try arg(), at: offset)
        case "ge", ">=": return try compare(.ge, value, try arg(), at: offset)
        case "in": return try contains(try arg(), value, at: offset)
        case "sameas":
            let other = try arg()
            switch (value, other) {
            case (.none, .none): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.namespace(let x), .namespace(let y)): return x === y
            default: return false
            }
        case "lower", "upper":
            guard case .string(let s) = value else { return false }
            return name == "lower" ? s == s.lowercased() && s != s.uppercased() : s == s.uppercased() && s != s.lowercased()
        default:
            throw fail(.unsupported(construct: "test \(name)"), "unknown test `\(name)`", at: offset,
                       hint: "supported tests: " + Interpreter.supportedTests.filter { $0.first!.isLetter }.joined(separator: ", "))
        }
    }
}
