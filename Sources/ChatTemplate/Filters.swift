// Jinja filters (`x | trim`, `tools | tojson(indent=4)`, `messages | selectattr('role', 'equalto', 'user')`…):
// the set real chat templates use, with Jinja 3.1's semantics and transformers' `tojson`.
import Foundation

/// Positional-or-keyword arguments of a filter call, bound by parameter name.
struct FilterArguments {
    let filter: String
    let positional: [Value]
    let keywords: [(String, Value)]

    func value(_ index: Int, _ name: String) -> Value? {
        if let hit = keywords.first(where: { $0.0 == name }) { return hit.1 }
        return index < positional.count ? positional[index] : nil
    }
}

extension Interpreter {
    static let supportedFilters: Set<String> = [
        "trim", "length", "count", "tojson", "upper", "lower", "capitalize", "title", "first", "last", "join", "default", "d",
        "list", "string", "int", "float", "abs", "replace", "selectattr", "rejectattr", "select", "reject", "map", "safe",
        "e", "escape", "indent", "items", "unique", "sort", "dictsort", "reverse", "sum", "min", "max", "round", "wordcount",
    ]

    func applyFilter(_ filter: FilterCall, to value: Value, in frame: Frame) throws -> Value {
        let args = FilterArguments(filter: filter.name, positional: try filter.args.map { try evaluate($0, in: frame) },
                                   keywords: try filter.kwargs.map { ($0.0, try evaluate($0.1, in: frame)) })
        return try applyFilter(filter.name, to: value, args: args, at: filter.offset)
    }

    func applyFilter(_ name: String, to value: Value, args: FilterArguments, at offset: Int) throws -> Value {
        func string(_ v: Value?) -> String? { if case .string(let s)? = v { return s }; return nil }
        func requireSequence() throws -> [Value] {
            if value.isUndefined { return [] }
            return try iterate(value, at: offset)
        }
        switch name {
        case "trim":
            return .string(pyStrip(value.pyStr, chars: string(args.value(0, "chars")), leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .undefined: return .int(0)
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let l), .tuple(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .namespace(let ns): return .int(ns.attributes.count)
            default: throw fail(.type, "object of type '\(value.typeName)' has no len()", at: offset)
            }
        case "tojson":
            var indent: String? = nil
            switch args.value(0, "indent") {
            case .int(let n)?:
                try checkSize(n, "the tojson indentation", at: offset)
                indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            default: break
            }
            var separators: (String, String)? = nil
            if let parts = args.value(2, "separators")?.sequenceItems, parts.count == 2,
               case .string(let item) = parts[0], case .string(let key) = parts[1] { separators = (item, key) }
            let json = try JSONWriter(interpreter: self, offset: offset, indent: indent,
                                      ensureASCII: args.value(1, "ensure_ascii")?.truthy ?? false,
                                      separators: separators, sortKeys: args.value(3, "sort_keys")?.truthy ?? false).encode(value)
            return .string(json)
        case "upper": return .string(value.pyStr.uppercased())
        case "lower": return .string(value.pyStr.lowercased())
        case "capitalize": return .string(pyCapitalize(value.pyStr))
        case "title": return .string(jinjaTitle(value.pyStr))
        case "first":
            if case .undefined = value { return .undefined("first of an undefined value") }
            return try requireSequence().first ?? .undefined("first of an empty sequence")
        case "last":
            if case .undefined = value { return .undefined("last of an undefined value") }
            return try requireSequence().last ?? .undefined("last of an empty sequence")
        case "join":
            let separator = args.value(0, "d")?.pyStr ?? ""
            var items = try requireSequence()
            if let attribute = string(args.value(1, "attribute")) { items = try items.map { try attributePath(attribute, of: $0, at: offset) } }
            let total = items.reduce(0) { $0 + $1.pyStr.utf8.count } + separator.utf8.count * max(0, items.count - 1)
            try checkSize(total, "joined string", at: offset)
            return .string(items.map(\.pyStr).joined(separator: separator))
        case "default", "d":
            let fallback = args.value(0, "default_value") ?? .string("")
            let boolean = args.value(1, "boolean")?.truthy ?? false
            return value.isUndefined || (boolean && !value.truthy) ? fallback : value
        case "list":
            return .list(try requireSequence())
        case "string":
            return .string(value.pyStr)
        case "int":
            let fallback = args.value(0, "default") ?? .int(0)
            switch value {
            case .int, .bool: return .int(value.integer!)
            case .float(let d): return d.isFinite && abs(d) < 9.2e18 ? .int(Int(d)) : fallback
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = args.value(0, "default") ?? .float(0)
            switch value {
            case .int, .bool, .float: return .float(value.number!)
            case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces)).map { .float($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            switch value {
            case .float(let d): return .float(abs(d))
            default:
                guard let i = value.integer, i != Int.min else { throw fail(.type, "bad operand type for abs(): '\(value.typeName)'", at: offset) }
                return .int(abs(i))
            }
        case "replace":
            guard let old = args.value(0, "old")?.pyStr, let new = args.value(1, "new")?.pyStr else {
                throw fail(.type, "replace needs `old` and `new`", at: offset)
            }
            return .string(try pyReplace(value.pyStr, old, new, count: args.value(2, "count")?.integer, at: offset))
        case "selectattr", "rejectattr", "select", "reject":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = args.positional
            var attribute: String? = nil
            if byAttribute {
                guard case .string(let a)? = rest.first else { throw fail(.type, "\(name) needs an attribute name", at: offset) }
                attribute = a
                rest.removeFirst()
            }
            var testName: String? = nil
            if !rest.isEmpty {
                guard case .string(let t) = rest.removeFirst() else { throw fail(.type, "\(name) needs a test name", at: offset) }
                testName = t
            }
            return .list(try requireSequence().filter { item in
                let subject = try attribute.map { try attributePath($0, of: item, at: offset) } ?? item
                let passed = try testName.map { try runTest($0, on: subject, args: rest, at: offset) } ?? subject.truthy
                return passed == keep
            })
        case "map":
            let items = try requireSequence()
            if let attribute = string(args.keywords.first { $0.0 == "attribute" }?.1) {
                let fallback = args.keywords.first { $0.0 == "default" }?.1
                return .list(try items.map { item in
                    let v = try attributePath(attribute, of: item, at: offset)
                    return v.isUndefined ? (fallback ?? v) : v
                })
            }
            guard case .string(let filterName)? = args.positional.first else {
                throw fail(.type, "map needs a filter name or attribute=…", at: offset)
            }
            guard Interpreter.supportedFilters.contains(filterName) else {
                throw fail(.unsupported(construct: "filter \(filterName)"), "unknown filter `\(filterName)` in map()", at: offset)
            }
            let inner = FilterArguments(filter: filterName, positional: Array(args.positional.dropFirst()),
                                        keywords: args.keywords)
            return .list(try items.map { try applyFilter(filterName, to: $0, args: inner, at: offset) })
        case "safe":
            return value
        case "e", "escape":
            return .string(htmlEscape(value.pyStr))
        case "indent":
            var indentation = String(repeating: " ", count: 4)
            switch args.value(0, "width") {
            case .int(let n)?:
                try checkSize(n, "the indentation", at: offset)
                indentation = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indentation = s
            default: break
            }
            let text = value.pyStr
            // Every line may get the indentation: refuse before building a result that large.
            let lines = text.utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            let (added, over) = lines.multipliedReportingOverflow(by: indentation.utf8.count)
            try checkSize(over ? Int.max : text.utf8.count.addingReportingOverflow(added).partialValue, "the indented string", at: offset)
            return .string(jinjaIndent(text, indentation, first: args.value(1, "first")?.truthy ?? false,
                                       blank: args.value(2, "blank")?.truthy ?? false))
        case "items":
            switch value {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.pairs.map { .tuple([$0.0.value, $0.1]) })
            case .namespace(let ns): return .list(ns.attributes.pairs.map { .tuple([$0.0.value, $0.1]) })
            default: throw fail(.type, "items filter needs a mapping, got \(value.typeName)", at: offset)
            }
        case "unique":
            var seen: [Value] = []
            for item in try requireSequence() where !seen.contains(where: { pyEqual($0, item) }) { seen.append(item) }
            return .list(seen)
        case "sort", "dictsort":
            let reverse = args.value(name == "sort" ? 0 : 2, "reverse")?.truthy ?? false
            let caseSensitive = args.value(1, "case_sensitive")?.truthy ?? false
            var items: [Value]
            var attribute: String? = nil
            if name == "dictsort" {
                guard case .dict(let d) = value else { throw fail(.type, "dictsort needs a mapping", at: offset) }
                items = d.pairs.map { .tuple([$0.0.value, $0.1]) }
                let byValue = string(args.value(1, "by")) == "value"
                attribute = byValue ? "1" : "0"
            } else {
                items = try requireSequence()
                attribute = string(args.value(2, "attribute"))
            }
            func key(_ v: Value) throws -> Value {
                var k = try attribute.map { try attributePath($0, of: v, at: offset) } ?? v
                if !caseSensitive, case .string(let s) = k { k = .string(s.lowercased()) }
                return k
            }
            let keyed = try items.map { (try key($0), $0) }
            var failure: ChatTemplateError? = nil
            let sorted = keyed.enumerated().sorted { l, r in
                if pyEqual(l.element.0, r.element.0) { return l.offset < r.offset }
                guard let less = pyLess(l.element.0, r.element.0) else {
                    failure = fail(.type, "cannot sort values of types '\(l.element.0.typeName)' and '\(r.element.0.typeName)'", at: offset)
                    return false
                }
                return reverse ? !less : less
            }
            if let failure { throw failure }
            return .list(sorted.map { $0.element.1 })
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(Array(try requireSequence().reversed()))
        case "sum":
            var total = args.value(1, "start") ?? .int(0)
            for item in try requireSequence() {
                let v = try string(args.value(0, "attribute")).map { try attributePath($0, of: item, at: offset) } ?? item
                total = try binary(.add, total, v, at: offset)
            }
            return total
        case "min", "max":
            let items = try requireSequence()
            guard var best = items.first else { return .undefined("\(name) of an empty sequence") }
            for item in items.dropFirst() {
                guard let less = pyLess(item, best) else { throw fail(.type, "cannot compare values for \(name)", at: offset) }
                if less == (name == "min") && !pyEqual(item, best) { best = item }
            }
            return best
        case "round":
            guard let x = value.number else { throw fail(.type, "round needs a number", at: offset) }
            let precision = args.value(0, "precision")?.integer ?? 0
            let method = string(args.value(1, "method")) ?? "common"
            let scale = pow(10.0, Double(precision))
            let scaled = x * scale
            let rounded: Double = method == "ceil" ? scaled.rounded(.up) : method == "floor" ? scaled.rounded(.down)
                : scaled.rounded(.toNearestOrAwayFromZero)
            return .float(rounded / scale)
        case "wordcount":
            return .int(value.pyStr.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation }).count)
        default:
            throw fail(.unsupported(construct: "filter \(name)"), "unknown filter `\(name)`", at: offset,
                       hint: "supported filters: " + Interpreter.supportedFilters.sorted().joined(separator: ", "))
        }
    }

    /// `attribute="a.b"` in selectattr/map/sort: dotted lookups, digits index lists.
    func attributePath(_ path: String, of value: Value, at offset: Int) throws -> Value {
        var current = value
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if current.isUndefined { return current }
            if let index = Int(part) { current = try item(.int(index), of: current, at: offset) }
            else { current = try item(.string(String(part)), of: current, at: offset) }
        }
        return current
    }
}

// MARK: - string helpers with Python semantics

func pyStrip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
    let set = chars.map { Set($0.unicodeScalars) }
    func strip(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isPythonWhitespace(c) }
    let scalars = s.unicodeScalars
    var start = scalars.startIndex
    var end = scalars.endIndex
    if leading { while start < end, strip(scalars[start]) { start = scalars.index(after: start) } }
    if trailing {
        while end > start {
            let before = scalars.index(before: end)
            guard strip(scalars[before]) else { break }
            end = before
        }
    }
    if start == scalars.startIndex && end == scalars.endIndex { return s }
    return String(scalars[start..<end])
}

func pyCapitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return String(first).uppercased() + String(s.unicodeScalars.dropFirst()).lowercased()
}

/// Jinja's `title` filter: words split at whitespace, `-`, and opening brackets.
func jinjaTitle(_ s: String) -> String {
    var out = ""
    var atWordStart = true
    for scalar in s.unicodeScalars {
        if isPythonWhitespace(scalar) || "-({[<".unicodeScalars.contains(scalar) {
            out.unicodeScalars.append(scalar)
            atWordStart = true
        } else {
            out += atWordStart ? String(scalar).uppercased() : String(scalar).lowercased()
            atWordStart = false
        }
    }
    return out
}

/// Python's `str.title()`: a letter after a non-letter starts a word.
func pyTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for scalar in s.unicodeScalars {
        let cased = scalar.properties.isCased
        out += cased ? (previousCased ? String(scalar).lowercased() : String(scalar).uppercased()) : String(scalar)
        previousCased = cased
    }
    return out
}

func htmlEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// Python's `str.splitlines()` line boundaries.
func pySplitLines(_ s: String) -> [String] {
    var lines: [String] = []
    var current = String.UnicodeScalarView()
    let scalars = Array(s.unicodeScalars)
    var i = 0
    while i < scalars.count {
        let c = scalars[i]
        switch c.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
            lines.append(String(current))
            current = String.UnicodeScalarView()
            if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
        default:
            current.append(c)
        }
        i += 1
    }
    if !current.isEmpty { lines.append(String(current)) }
    return lines
}

func jinjaIndent(_ s: String, _ indentation: String, first: Bool, blank: Bool) -> String {
    let lines = pySplitLines(s + "\n")
    var result: String
    if blank {
        result = lines.joined(separator: "\n" + indentation)
    } else {
        result = lines.first ?? ""
        let rest = lines.dropFirst()
        if !rest.isEmpty { result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
    }
    return first ? indentation + result : result
}

extension Interpreter {
    func pyReplace(_ s: String, _ old: String, _ new: String, count: Int?, at offset: Int) throws -> String {
        let limit = count.map { $0 < 0 ? Int.max : $0 } ?? Int.max
        let source = Array(s.unicodeScalars)
        let needle = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var replaced = 0
        var bytes = 0
        var i = 0
        if needle.isEmpty {
            // Python inserts `new` between every character (and at both ends).
            for c in source {
                if replaced < limit { out.append(contentsOf: new.unicodeScalars); replaced += 1; bytes += new.utf8.count }
                out.append(c)
                try checkSize(bytes + out.count, "string", at: offset)
            }
            if replaced < limit { out.append(contentsOf: new.unicodeScalars) }
            return String(out)
        }
        while i < source.count {
            if replaced < limit, i + needle.count <= source.count, Array(source[i..<i + needle.count]) == needle {
                out.append(contentsOf: new.unicodeScalars)
                bytes += new.utf8.count
                try checkSize(bytes, "string", at: offset)
                replaced += 1
                i += needle.count
            } else {
                out.append(source[i])
                i += 1
            }
        }
        return String(out)
    }
}
