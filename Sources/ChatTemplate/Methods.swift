// Methods templates call on values: Python's non-mutating `str` methods and `dict.items/keys/
// values/get`. Mutating methods (`append`, `update`, `pop`…) are refused as the sandbox does.

extension Interpreter {
    static let unsafeMethods: Set<String> = ["append", "extend", "insert", "pop", "popitem", "remove", "clear", "update",
                                             "setdefault", "sort", "reverse", "add", "discard"]

    /// nil when `base` has no such method (the caller then looks the name up as an attribute).
    func callMethod(_ name: String, on base: Value, args: [Value], kwargs: [(String, Value)], at offset: Int) throws -> Value? {
        if name.hasPrefix("_") { return nil }
        let bound = FilterArguments(filter: name, positional: args, keywords: kwargs)
        func text(_ index: Int, _ key: String) -> String? { if case .string(let s)? = bound.value(index, key) { return s }; return nil }
        switch base {
        case .string(let s):
            switch name {
            case "strip": return .string(pyStrip(s, chars: text(0, "chars"), leading: true, trailing: true))
            case "lstrip": return .string(pyStrip(s, chars: text(0, "chars"), leading: true, trailing: false))
            case "rstrip": return .string(pyStrip(s, chars: text(0, "chars"), leading: false, trailing: true))
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(pyTitle(s))
            case "capitalize": return .string(pyCapitalize(s))
            case "startswith", "endswith":
                let candidates: [String]
                switch bound.value(0, "prefix") {
                case .string(let p)?: candidates = [p]
                case .list(let items)?, .tuple(let items)?: candidates = items.compactMap { if case .string(let p) = $0 { return p }; return nil }
                default: throw fail(.type, "\(name)() needs a string or a tuple of strings", at: offset)
                }
                let scalars = Array(s.unicodeScalars)
                return .bool(candidates.contains { c in
                    let cs = Array(c.unicodeScalars)
                    return name == "startswith" ? scalars.starts(with: cs) : scalars.reversed().starts(with: cs.reversed())
                })
            case "split", "rsplit":
                let maxSplit = bound.value(1, "maxsplit")?.integer ?? -1
                let parts = try pySplit(s, separator: text(0, "sep"), maxSplit: maxSplit, fromRight: name == "rsplit", at: offset)
                return .list(parts.map { .string($0) })
            case "splitlines": return .list(pySplitLines(s).map { .string($0) })
            case "replace":
                guard let old = text(0, "old"), let new = text(1, "new") else { throw fail(.type, "replace() needs two strings", at: offset) }
                return .string(try pyReplace(s, old, new, count: bound.value(2, "count")?.integer, at: offset))
            case "find", "count", "index", "rfind":
                guard let needle = text(0, "sub") else { throw fail(.type, "\(name)() needs a string", at: offset) }
                let hay = Array(s.unicodeScalars)
                let n = Array(needle.unicodeScalars)
                var positions: [Int] = []
                var i = 0
                while i + n.count <= hay.count {
                    if Array(hay[i..<i + n.count]) == n { positions.append(i); i += max(n.count, 1) } else { i += 1 }
                }
                if name == "count" { return .int(positions.count) }
                if name == "rfind" { return .int(positions.last ?? -1) }
                if let first = positions.first { return .int(first) }
                if name == "index" { throw fail(.type, "substring not found", at: offset) }
                return .int(-1)
            case "join":
                let items = try iterate(bound.value(0, "iterable") ?? .list([]), at: offset)
                return .string(try items.map { item -> String in
                    guard case .string(let part) = item else { throw fail(.type, "join() needs strings, got \(item.typeName)", at: offset) }
                    return part
                }.joined(separator: s))
            case "format": return .string(try pyFormat(s, args: args, kwargs: kwargs, at: offset))
            case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal })
            case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
            case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(isPythonWhitespace))
            case "islower": return .bool(s == s.lowercased() && s != s.uppercased())
            case "isupper": return .bool(s == s.uppercased() && s != s.lowercased())
            default: return nil
            }
        case .dict(let d):
            switch name {
            case "items": return .list(d.pairs.map { .tuple([$0.0.value, $0.1]) })
            case "keys": return .list(d.keys.map(\.value))
            case "values": return .list(d.pairs.map { $0.1 })
            case "get":
                guard let key = bound.value(0, "key") else { throw fail(.type, "get() needs a key", at: offset) }
                if let k = DictKey(key), let v = d[k] { return v }
                return bound.value(1, "default") ?? Value.none
            default:
                if Interpreter.unsafeMethods.contains(name) { throw unsafe(name, base, at: offset) }
                return nil
            }
        case .list(let items), .tuple(let items):
            switch name {
            case "index":
                guard let needle = args.first, let i = items.firstIndex(where: { pyEqual($0, needle) }) else {
                    throw fail(.type, "value is not in list", at: offset)
                }
                return .int(i)
            case "count":
                guard let needle = args.first else { throw fail(.type, "count() needs a value", at: offset) }
                return .int(items.filter { pyEqual($0, needle) }.count)
            default:
                if Interpreter.unsafeMethods.contains(name) { throw unsafe(name, base, at: offset) }
                return nil
            }
        default:
            return nil
        }
    }

    func unsafe(_ name: String, _ base: Value, at offset: Int) -> ChatTemplateError {
        fail(.unsupported(construct: "method \(name)"),
             "`\(name)()` would modify a '\(base.typeName)'; chat templates may not mutate data (use namespace() and `set`)",
             at: offset)
    }

    func pySplit(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool, at offset: Int) throws -> [String] {
        let scalars = Array(s.unicodeScalars)
        let limit = maxSplit < 0 ? Int.max : maxSplit
        if let separator {
            let sep = Array(separator.unicodeScalars)
            guard !sep.isEmpty else { throw fail(.type, "empty separator", at: offset) }
            var pieces: [[Unicode.Scalar]] = []
            if fromRight {
                var end = scalars.count
                var i = scalars.count - sep.count
                while i >= 0 && pieces.count < limit {
                    if Array(scalars[i..<i + sep.count]) == sep { pieces.append(Array(scalars[i + sep.count..<end])); end = i; i -= sep.count }
                    else { i -= 1 }
                }
                pieces.append(Array(scalars[0..<end]))
                pieces.reverse()
            } else {
                var start = 0
                var i = 0
                while i + sep.count <= scalars.count && pieces.count < limit {
                    if Array(scalars[i..<i + sep.count]) == sep { pieces.append(Array(scalars[start..<i])); i += sep.count; start = i }
                    else { i += 1 }
                }
                pieces.append(Array(scalars[start...]))
            }
            return pieces.map { String(String.UnicodeScalarView($0)) }
        }
        // Whitespace split: runs of whitespace separate, no empty strings.
        var words: [String] = []
        var i = 0
        var splits = 0
        while i < scalars.count {
            while i < scalars.count, isPythonWhitespace(scalars[i]) { i += 1 }
            guard i < scalars.count else { break }
            if splits >= limit && !fromRight {
                var end = scalars.count
                while end > i, isPythonWhitespace(scalars[end - 1]) { end -= 1 }
                words.append(String(String.UnicodeScalarView(scalars[i..<end])))
                break
            }
            let start = i
            while i < scalars.count, !isPythonWhitespace(scalars[i]) { i += 1 }
            words.append(String(String.UnicodeScalarView(scalars[start..<i])))
            splits += 1
        }
        return words
    }

    /// `str.format` with `{}`, `{0}`, `{name}` fields and `{{`/`}}` escapes; values print as `str()`.
    /// Format specs and conversions (`{:>4}`, `{!r}`) are not supported.
    func pyFormat(_ format: String, args: [Value], kwargs: [(String, Value)], at offset: Int) throws -> String {
        var out = ""
        var auto = 0
        var manual = false
        var scalars = format.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            if c == "}" {
                guard scalars.next() == "}" else { throw fail(.type, "single '}' encountered in format string", at: offset) }
                out += "}"
                continue
            }
            guard c == "{" else { out.unicodeScalars.append(c); continue }
            var field = ""
            var closed = false
            while let d = scalars.next() {
                if d == "}" { closed = true; break }
                if d == "{" && field.isEmpty { field = "{"; closed = true; break }
                field.unicodeScalars.append(d)
            }
            guard closed else { throw fail(.type, "single '{' encountered in format string", at: offset) }
            if field == "{" { out += "{"; continue }
            if field.contains(":") || field.contains("!") {
                throw fail(.unsupported(construct: "format spec"), "format specs and conversions in str.format are not supported", at: offset)
            }
            if (field.isEmpty && manual) || (!field.isEmpty && Int(field) != nil && auto > 0) {
                // Jinja's sandboxed formatter reports both directions with this message.
                throw fail(.type, "cannot switch from manual field specification to automatic field numbering", at: offset)
            }
            if Int(field) != nil { manual = true }
            let value: Value
            if field.isEmpty {
                guard auto < args.count else { throw fail(.type, "Replacement index \(auto) out of range for positional args tuple", at: offset) }
                value = args[auto]
                auto += 1
            } else if let index = Int(field) {
                guard index < args.count else { throw fail(.type, "Replacement index \(index) out of range for positional args tuple", at: offset) }
                value = args[index]
            } else {
                guard let hit = kwargs.first(where: { $0.0 == field }) else { throw fail(.type, "KeyError: '\(field)'", at: offset) }
                value = hit.1
            }
            out += value.pyStr
            try checkSize(out.utf8.count, "string", at: offset)
        }
        return out
    }
}
