// Arithmetic and comparison with Python's rules (bool is an int, `//` and `%` floor, `'a' + 1`
// is a TypeError), checked for overflow and for result sizes a hostile template could blow up.
import Foundation

extension Interpreter {
    func negate(_ value: Value, at offset: Int) throws -> Value {
        switch value {
        case .undefined: throw undefinedError(value, at: offset)
        case .float(let d): return .float(-d)
        default:
            guard let i = value.integer else { throw fail(.type, "bad operand type for unary -: '\(value.typeName)'", at: offset) }
            guard i != Int.min else { throw fail(.type, "integer overflow", at: offset) }
            return .int(-i)
        }
    }

    func binary(_ op: BinaryOp, _ a: Value, _ b: Value, at offset: Int) throws -> Value {
        if a.isUndefined { throw undefinedError(a, at: offset) }
        if b.isUndefined { throw undefinedError(b, at: offset) }
        func unsupported() -> ChatTemplateError {
            if op == .add, case .string = a {
                return fail(.type, "can only concatenate str (not \"\(b.typeName)\") to str", at: offset)
            }
            if op == .add, case .list = a {
                return fail(.type, "can only concatenate list (not \"\(b.typeName)\") to list", at: offset)
            }
            return fail(.type, "unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'", at: offset)
        }
        func overflow() -> ChatTemplateError { fail(.type, "integer overflow in `\(op.rawValue)`", at: offset) }

        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)):
            try checkSize(x.utf8.count + y.utf8.count, "string", at: offset)
            return .string(x + y)
        case (.add, .list(let x), .list(let y)):
            try checkSize(x.count + y.count, "list", at: offset)
            return .list(x + y)
        case (.add, .tuple(let x), .tuple(let y)):
            try checkSize(x.count + y.count, "tuple", at: offset)
            return .tuple(x + y)
        case (.mul, .string(let s), _), (.mul, _, .string(let s)):
            guard let n = (a.integer ?? b.integer) else { throw unsupported() }
            let (total, over) = s.utf8.count.multipliedReportingOverflow(by: max(n, 0))
            if over { throw limitHit("value size", "string repetition is too large", at: offset, setting: "maxValueSize") }
            try checkSize(total, "string", at: offset)
            return .string(String(repeating: s, count: max(n, 0)))
        case (.mul, .list(let items), _), (.mul, _, .list(let items)), (.mul, .tuple(let items), _), (.mul, _, .tuple(let items)):
            guard let n = (a.integer ?? b.integer) else { throw unsupported() }
            let (total, over) = items.count.multipliedReportingOverflow(by: max(n, 0))
            if over { throw limitHit("value size", "list repetition is too large", at: offset, setting: "maxValueSize") }
            try checkSize(total, "list", at: offset)
            var out: [Value] = []
            out.reserveCapacity(total)
            for _ in 0..<max(n, 0) { out += items }
            if case .tuple = a { return .tuple(out) }
            if case .tuple = b { return .tuple(out) }
            return .list(out)
        case (.mod, .string, _):
            throw fail(.unsupported(construct: "% formatting"), "printf-style `%` string formatting is not supported", at: offset,
                       hint: "use `~` or `+` to build strings")
        default:
            break
        }

        if let x = a.integer, let y = b.integer {
            switch op {
            case .add: let (r, o) = x.addingReportingOverflow(y); if o { throw overflow() }; return .int(r)
            case .sub: let (r, o) = x.subtractingReportingOverflow(y); if o { throw overflow() }; return .int(r)
            case .mul: let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw overflow() }; return .int(r)
            case .div:
                guard y != 0 else { throw fail(.type, "division by zero", at: offset) }
                return .float(Double(x) / Double(y))
            case .floorDiv:
                guard y != 0 else { throw fail(.type, "integer division or modulo by zero", at: offset) }
                if x == Int.min && y == -1 { throw overflow() }
                let q = x / y
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q)
            case .mod:
                guard y != 0 else { throw fail(.type, "integer division or modulo by zero", at: offset) }
                if y == -1 { return .int(0) }
                let r = x % y
                return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case .pow:
                if y < 0 { return .float(pow(Double(x), Double(y))) }
                var result = 1
                var base = x
                var exponent = y
                while exponent > 0 {
                    if exponent & 1 == 1 {
                        let (r, o) = result.multipliedReportingOverflow(by: base); if o { throw overflow() }; result = r
                    }
                    exponent >>= 1
                    if exponent > 0 { let (r, o) = base.multipliedReportingOverflow(by: base); if o { throw overflow() }; base = r }
                }
                return .int(result)
            }
        }
        guard let x = a.number, let y = b.number else { throw unsupported() }
        switch op {
        case .add: return .float(x + y)
        case .sub: return .float(x - y)
        case .mul: return .float(x * y)
        case .div:
            guard y != 0 else { throw fail(.type, "float division by zero", at: offset) }
            return .float(x / y)
        case .floorDiv:
            guard y != 0 else { throw fail(.type, "float floor division by zero", at: offset) }
            return .float((x / y).rounded(.down))
        case .mod:
            guard y != 0 else { throw fail(.type, "float modulo", at: offset) }
            let r = fmod(x, y)
            return .float(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .pow:
            return .float(pow(x, y))
        }
    }

    func compare(_ op: CompareOp, _ a: Value, _ b: Value, at offset: Int) throws -> Bool {
        switch op {
        case .eq: return pyEqual(a, b)
        case .ne: return !pyEqual(a, b)
        case .in: return try contains(b, a, at: offset)
        case .notIn: return !(try contains(b, a, at: offset))
        case .lt, .le, .gt, .ge:
            if a.isUndefined { throw undefinedError(a, at: offset) }
            if b.isUndefined { throw undefinedError(b, at: offset) }
            let (x, y) = (op == .lt || op == .le) ? (a, b) : (b, a)
            guard let less = pyLess(x, y) else {
                throw fail(.type, "'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'", at: offset)
            }
            return less || ((op == .le || op == .ge) && pyEqual(a, b))
        }
    }

    func contains(_ container: Value, _ element: Value, at offset: Int) throws -> Bool {
        switch container {
        case .undefined: return false
        case .string(let s):
            guard case .string(let needle) = element else {
                throw fail(.type, "'in <string>' requires string as left operand, not \(element.typeName)", at: offset)
            }
            return needle.isEmpty || s.contains(needle)
        case .list(let items), .tuple(let items): return items.contains { pyEqual($0, element) }
        case .dict(let d):
            return DictKey(element).map { d[$0] != nil } ?? false
        case .namespace(let ns):
            if case .string(let key) = element { return ns.attributes[key] != nil }
            return false
        default:
            throw fail(.type, "argument of type '\(container.typeName)' is not iterable", at: offset)
        }
    }
}
