// Interpreter, expressions half: names, attribute/item access, slices, calls of macros, globals
// and string/dict methods. Only template data is reachable; `_`-prefixed attributes are refused.

extension Interpreter {
    func evaluate(_ expr: Expr, in frame: Frame) throws -> Value {
        try tick(expr.offset)
        evalDepth += 1
        defer { evalDepth -= 1 }
        if evalDepth > limits.maxNestingDepth * 4 {
            throw limitHit("nesting depth", "evaluation nested deeper than \(limits.maxNestingDepth * 4) levels",
                           at: expr.offset, setting: "maxNestingDepth")
        }
        switch expr.kind {
        case .literal(let value):
            return value
        case .name(let name):
            if let value = frame.lookup(name) { return value }
            if let function = BuiltinFunction(rawValue: name) { return .function(function) }
            return .undefined("'\(name)' is undefined")
        case .list(let items):
            return .list(try items.map { try evaluate($0, in: frame) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, in: frame) })
        case .dict(let pairs):
            var dict = Dict()
            for (keyExpr, valueExpr) in pairs {
                let keyValue = try evaluate(keyExpr, in: frame)
                guard let key = DictKey(keyValue) else {
                    throw fail(.unsupported(construct: "dict key of type \(keyValue.typeName)"),
                               "dictionary keys must be strings or integers here, got \(keyValue.typeName)", at: keyExpr.offset)
                }
                dict[key] = try evaluate(valueExpr, in: frame)
            }
            return .dict(dict)
        case .attribute(let base, let name):
            return try attribute(name, of: try evaluate(base, in: frame), at: expr.offset)
        case .item(let base, let key):
            return try item(try evaluate(key, in: frame), of: try evaluate(base, in: frame), at: expr.offset)
        case .slice(let base, let start, let stop, let step):
            let value = try evaluate(base, in: frame)
            func bound(_ e: Expr?) throws -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e, in: frame)
                if case .none = v { return nil }
                guard let i = v.integer else { throw fail(.type, "slice indices must be integers or none, not \(v.typeName)", at: e.offset) }
                return i
            }
            return try slice(value, start: try bound(start), stop: try bound(stop), step: try bound(step), at: expr.offset)
        case .call(let callee, let args, let kwargs):
            if case .attribute(let baseExpr, let method) = callee.kind {
                let base = try evaluate(baseExpr, in: frame)
                if let result = try callMethod(method, on: base, args: try args.map { try evaluate($0, in: frame) },
                                               kwargs: try kwargs.map { ($0.0, try evaluate($0.1, in: frame)) }, at: callee.offset) {
                    return result
                }
                return try callValue(try attribute(method, of: base, at: callee.offset), calleeExpr: callee, args: args,
                                     kwargs: kwargs, caller: nil, in: frame, at: expr.offset)
            }
            return try callValue(try evaluate(callee, in: frame), calleeExpr: callee, args: args, kwargs: kwargs,
                                 caller: nil, in: frame, at: expr.offset)
        case .filter(let base, let filter):
            return try applyFilter(filter, to: try evaluate(base, in: frame), in: frame)
        case .test(let base, let name, let args, let negated):
            let result = try runTest(name, on: try evaluate(base, in: frame), args: try args.map { try evaluate($0, in: frame) },
                                     at: expr.offset)
            return .bool(result != negated)
        case .not(let operand):
            return .bool(!(try evaluate(operand, in: frame).truthy))
        case .negate(let operand):
            return try negate(try evaluate(operand, in: frame), at: expr.offset)
        case .plus(let operand):
            let value = try evaluate(operand, in: frame)
            guard value.number != nil else { throw fail(.type, "bad operand type for unary +: '\(value.typeName)'", at: expr.offset) }
            return value
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left, in: frame), try evaluate(right, in: frame), at: expr.offset)
        case .concat(let parts):
            var text = ""
            for part in parts {
                text += try evaluate(part, in: frame).pyStr
                try checkSize(text.utf8.count, "string", at: expr.offset)
            }
            return .string(text)
        case .and(let left, let right):
            let l = try evaluate(left, in: frame)
            return l.truthy ? try evaluate(right, in: frame) : l
        case .or(let left, let right):
            let l = try evaluate(left, in: frame)
            return l.truthy ? l : try evaluate(right, in: frame)
        case .compare(let first, let ops):
            var left = try evaluate(first, in: frame)
            for (op, rightExpr) in ops {
                let right = try evaluate(rightExpr, in: frame)
                if !(try compare(op, left, right, at: rightExpr.offset)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise):
            if try evaluate(test, in: frame).truthy { return try evaluate(then, in: frame) }
            if let otherwise { return try evaluate(otherwise, in: frame) }
            return .undefined("the inline if-expression has no else branch")
        }
    }

    func undefinedError(_ value: Value, at offset: Int) -> ChatTemplateError {
        if case .undefined(let what) = value { return fail(.undefined, what, at: offset) }
        return fail(.undefined, "value is undefined", at: offset)
    }

    func attribute(_ name: String, of base: Value, at offset: Int) throws -> Value {
        if name.hasPrefix("_") {
            throw fail(.unsupported(construct: "underscore attribute"),
                       "attribute `\(name)` is not accessible: names starting with `_` are blocked in chat templates", at: offset)
        }
        switch base {
        case .undefined: throw undefinedError(base, at: offset)
        case .dict(let d): return d[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let ns): return ns.attributes[name] ?? .undefined("'Namespace' object has no attribute '\(name)'")
        default: return .undefined("'\(base.typeName) object' has no attribute '\(name)'")
        }
    }

    func item(_ key: Value, of base: Value, at offset: Int) throws -> Value {
        switch (base, key) {
        case (.undefined, _): throw undefinedError(base, at: offset)
        case (.dict(let d), _):
            guard let k = DictKey(key) else { return .undefined("'dict object' has no attribute \(key.pyRepr)") }
            return d[k] ?? .undefined("'dict object' has no attribute '\(k.text)'")
        case (.namespace, .string(let k)): return try attribute(k, of: base, at: offset)
        case (.list(let items), _), (.tuple(let items), _):
            guard let i = key.integer else { return .undefined("list index must be an integer") }
            let index = i < 0 ? i + items.count : i
            return items.indices.contains(index) ? items[index] : .undefined("list object has no element \(i)")
        case (.string(let s), _):
            guard let i = key.integer else { return .undefined("string index must be an integer") }
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? i + scalars.count : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined("string has no character \(i)")
        default:
            return .undefined("'\(base.typeName) object' has no attribute \(key.pyRepr)")
        }
    }

    func slice(_ value: Value, start: Int?, stop: Int?, step: Int?, at offset: Int) throws -> Value {
        let step = step ?? 1
        guard step != 0 else { throw fail(.type, "slice step cannot be zero", at: offset) }
        func indices(_ count: Int) -> [Int] {
            func clamp(_ v: Int?, _ defaultValue: Int) -> Int {
                guard var v else { return defaultValue }
                if v < 0 { v += count }
                return step > 0 ? min(max(v, 0), count) : min(max(v, -1), count - 1)
            }
            let first = clamp(start, step > 0 ? 0 : count - 1)
            let last = clamp(stop, step > 0 ? count : -1)
            return Array(stride(from: first, to: last, by: step))
        }
        switch value {
        case .undefined: throw undefinedError(value, at: offset)
        case .list(let items): return .list(indices(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        default: throw fail(.type, "'\(value.typeName)' object is not subscriptable", at: offset)
        }
    }

    // MARK: calls

    func callValue(_ callee: Value, calleeExpr: Expr, args argExprs: [Expr], kwargs kwargExprs: [(String, Expr)],
                   caller: Macro?, in frame: Frame, at offset: Int) throws -> Value {
        let args = try argExprs.map { try evaluate($0, in: frame) }
        var kwargs: [(String, Value)] = []
        for (name, e) in kwargExprs { kwargs.append((name, try evaluate(e, in: frame))) }
        switch callee {
        case .macro(let macro):
            return try callMacro(macro, args: args, kwargs: kwargs, caller: caller, at: offset)
        case .function(let function):
            return try callBuiltin(function, args: args, kwargs: kwargs, at: offset)
        case .undefined:
            if case .name(let name) = calleeExpr.kind, ["cycler", "joiner", "lipsum", "self", "super", "varargs", "kwargs"].contains(name) {
                throw fail(.unsupported(construct: name), "`\(name)` is not supported in chat templates", at: calleeExpr.offset)
            }
            if case .attribute(_, let name) = calleeExpr.kind {
                throw fail(.unsupported(construct: "method \(name)"), "method `\(name)()` is not supported on this value",
                           at: calleeExpr.offset)
            }
            throw undefinedError(callee, at: calleeExpr.offset)
        default:
            throw fail(.type, "'\(callee.typeName)' object is not callable", at: offset)
        }
    }

    func callMacro(_ macro: Macro, args: [Value], kwargs: [(String, Value)], caller: Macro?, at offset: Int) throws -> Value {
        let definition = macro.definition
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxCallDepth {
            throw limitHit("call depth", "macro `\(definition.name)` recursed deeper than \(limits.maxCallDepth) calls", at: offset,
                           setting: "maxCallDepth")
        }
        guard args.count <= definition.parameters.count else {
            throw fail(.type, "macro `\(definition.name)` takes \(definition.parameters.count) arguments, got \(args.count)", at: offset)
        }
        let scope = Frame(parent: macro.closure)
        for (name, value) in zip(definition.parameters, args) { scope.variables[name] = value }
        for (name, value) in kwargs {
            guard definition.parameters.contains(name) else {
                throw fail(.type, "macro `\(definition.name)` has no parameter `\(name)`", at: offset)
            }
            scope.variables[name] = value
        }
        let firstDefault = definition.parameters.count - definition.defaults.count
        for (index, name) in definition.parameters.enumerated() where scope.variables[name] == nil {
            if index >= firstDefault {
                scope.variables[name] = try evaluate(definition.defaults[index - firstDefault], in: scope)
            } else {
                scope.variables[name] = .undefined("parameter '\(name)' of macro `\(definition.name)` was not given")
            }
        }
        if let caller { scope.variables["caller"] = .macro(caller) }
        let (text, _) = try capture(definition.body, in: scope)
        return .string(text)
    }

    func callBuiltin(_ function: BuiltinFunction, args: [Value], kwargs: [(String, Value)], at offset: Int) throws -> Value {
        switch function {
        case .raiseException:
            let message = args.first?.pyStr ?? ""
            throw fail(.raised(message: message), "template rejected the conversation: \(message)", at: offset)
        case .range:
            guard !args.isEmpty, args.count <= 3, kwargs.isEmpty else {
                throw fail(.type, "range() takes 1 to 3 integer arguments", at: offset)
            }
            let ints = try args.map { v -> Int in
                guard let i = v.integer else { throw fail(.type, "range() arguments must be integers, not \(v.typeName)", at: offset) }
                return i
            }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard step != 0 else { throw fail(.type, "range() step must not be zero", at: offset) }
            let count = step > 0 ? (stop > start ? (stop - start - 1) / step + 1 : 0)
                                 : (start > stop ? (start - stop - 1) / (-step) + 1 : 0)
            if count > limits.maxRange {
                throw limitHit("range", "range() of \(count) items exceeds the limit of \(limits.maxRange)", at: offset, setting: "maxRange")
            }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        case .namespace:
            let ns = Namespace()
            for arg in args {
                guard case .dict(let d) = arg else { throw fail(.type, "namespace() takes a dict or keyword arguments", at: offset) }
                for (key, value) in d.pairs { ns.attributes[key] = value }
            }
            for (key, value) in kwargs { ns.attributes[key] = value }
            if let bad = ns.attributes.keys.first(where: { $0.text.hasPrefix("_") }) {
                throw fail(.unsupported(construct: "underscore attribute"), "namespace attributes starting with `_` are not allowed (`\(bad.text)`)",
                           at: offset)
            }
            return .namespace(ns)
        case .dict:
            var d = Dict()
            for arg in args {
                guard case .dict(let source) = arg else { throw fail(.type, "dict() takes a dict or keyword arguments", at: offset) }
                for (key, value) in source.pairs { d[key] = value }
            }
            for (key, value) in kwargs { d[key] = value }
            return .dict(d)
        case .strftimeNow:
            guard case .string(let format)? = args.first else { throw fail(.type, "strftime_now() takes a format string", at: offset) }
            return .string(strftime(format, now))
        }
    }
}
