// Types one written value against a parameter's declared type and range, producing a canonical
// `ParamValue` or diagnostics that say what was expected. Booleans are YAML 1.2 (`true`/`false`);
// quoted numbers are strings; numbers are spelled any way Swift's Double reads them.
import Basics
import Foundation

struct ValueTyper {
    var diagnostics: [Diagnostic] = []

    /// The typed value, or nil after recording why not.
    mutating func typed(_ node: YNode, as type: ParamType, range: ParamRange?, keyPath: String) -> ParamValue? {
        guard let value = typedValue(node, type, keyPath: keyPath, report: true) else { return nil }
        if let range, !check(value, range, node: node, keyPath: keyPath) { return nil }
        return value
    }

    private mutating func fail(_ node: YNode, _ keyPath: String, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(at: node.location, keyPath: keyPath, message, hint: hint))
    }

    private mutating func typedValue(_ node: YNode, _ type: ParamType, keyPath: String, report: Bool) -> ParamValue? {
        func failing(_ message: String, hint: String? = nil) -> ParamValue? {
            if report { fail(node, keyPath, message, hint: hint) }
            return nil
        }
        switch type {
        case .bool:
            guard case .scalar(let text, let quoted) = node.value else { return failing("expected `true` or `false`, got \(node.describedKind)") }
            if quoted { return failing("expected `true` or `false`, got the string \"\(text)\"", hint: "remove the quotes") }
            switch text {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default:
                if ["yes", "no", "on", "off", "y", "n"].contains(text.lowercased()) {
                    let meant = ["yes", "on", "y"].contains(text.lowercased()) ? "true" : "false"
                    return failing("`\(text)` is not a boolean in a recipe; write `\(meant)`",
                                   hint: "recipes follow YAML 1.2, where only true and false are booleans")
                }
                return failing("expected `true` or `false`, got `\(text)`")
            }
        case .int:
            guard case .scalar(let text, let quoted) = node.value else { return failing("expected an integer, got \(node.describedKind)") }
            if let i = Self.integer(text), !quoted { return .int(i) }
            if quoted, Self.integer(text) != nil { return failing("expected an integer, got the string \"\(text)\"", hint: "remove the quotes") }
            if !quoted, let d = Self.number(text) {
                if d == d.rounded() && abs(d) < 9e15 { return failing("expected an integer, got `\(text)`", hint: "write \(Int64(d))") }
                return failing("expected an integer, got `\(text)`")
            }
            return failing("expected an integer, got \(node.describedKind)")
        case .double:
            guard case .scalar(let text, let quoted) = node.value else { return failing("expected a number, got \(node.describedKind)") }
            if !quoted, let d = Self.number(text) {
                guard d.isFinite else { return failing("must be a finite number, got `\(text)`") }
                return .double(d)
            }
            if quoted, Self.number(text) != nil { return failing("expected a number, got the string \"\(text)\"", hint: "remove the quotes") }
            return failing("expected a number, got \(node.describedKind)")
        case .string:
            guard case .scalar(let text, _) = node.value else { return failing("expected a string, got \(node.describedKind)") }
            return .string(text)
        case .path:
            guard case .scalar(let text, _) = node.value else { return failing("expected a path, got \(node.describedKind)") }
            if text.isEmpty { return failing("the path is empty") }
            return .string(text)
        case .choice(let options):
            guard case .scalar(let text, _) = node.value else {
                return failing("expected one of \(Suggestions.list(options)), got \(node.describedKind)")
            }
            if options.contains(text) { return .string(text) }
            let message = options.count == 1 ? "must be `\(options[0])`, got `\(text)`"
                                             : "`\(text)` is not one of \(Suggestions.list(options))"
            return failing(message, hint: Suggestions.hint(text, in: options))
        case .list(let item):
            guard case .list(let items) = node.value else {
                if case .scalar(let text, _) = node.value, !node.isNull, case .string = item {
                    return failing("expected a list, got \(node.describedKind)", hint: "write [\(text)]")
                }
                return failing("expected a \(type.name), got \(node.describedKind)")
            }
            var out: [ParamValue] = []
            var ok = true
            for (i, element) in items.enumerated() {
                if let v = typedValue(element, item, keyPath: "\(keyPath)[\(i)]", report: report) { out.append(v) } else { ok = false }
            }
            return ok ? .list(out) : nil
        case .stringMap:
            guard let entries = node.entries else { return failing("expected a map of names to strings, got \(node.describedKind)") }
            var out: [String: ParamValue] = [:]
            var ok = true
            for entry in entries {
                guard case .scalar(let text, _) = entry.value.value else {
                    if report { fail(entry.value, "\(keyPath).\(entry.key)", "expected a string, got \(entry.value.describedKind)") }
                    ok = false
                    continue
                }
                out[entry.key] = .string(text)
            }
            return ok ? .map(out) : nil
        case .byteSize:
            guard case .scalar(let text, _) = node.value, let bytes = Self.byteSize(text) else {
                return failing("expected a byte size such as `2GB` or `500MB`, got \(node.describedKind)")
            }
            return .int(bytes)
        case .oneOf(let alternatives):
            var probe = ValueTyper()
            for alternative in alternatives {
                if let v = probe.typedValue(node, alternative, keyPath: keyPath, report: false) { return v }
            }
            // Booleans or words (`true | false | selective`): the boolean's own message for boolean-like
            // text (quoted, YAML 1.1 spellings), else every accepted word with a did-you-mean.
            let words = alternatives.map { alternative -> [String]? in
                switch alternative {
                case .bool: return ["true", "false"]
                case .choice(let options): return options
                default: return nil
                }
            }
            if words.allSatisfy({ $0 != nil }) {
                let all = words.flatMap { $0! }
                guard case .scalar(let text, _) = node.value, !node.isNull else {
                    return failing("expected one of \(Suggestions.list(all)), got \(node.describedKind)")
                }
                if alternatives.contains(.bool), ["true", "false", "yes", "no", "on", "off", "y", "n"].contains(text.lowercased()) {
                    return typedValue(node, .bool, keyPath: keyPath, report: report)
                }
                return failing("`\(text)` is not one of \(Suggestions.list(all))", hint: Suggestions.hint(text, in: all))
            }
            var hint: String? = nil
            if case .scalar(let text, _) = node.value, alternatives.contains(.list(.string)) { hint = "write [\(text)] for a list of one" }
            return failing("expected \(alternatives.map(\.name).joined(separator: " or a ")), got \(node.describedKind)", hint: hint)
        }
    }

    /// Checks numeric bounds, powers of two and list lengths.
    private mutating func check(_ value: ParamValue, _ range: ParamRange, node: YNode, keyPath: String) -> Bool {
        if let minItems = range.minItems, case .list(let items) = value, items.count < minItems {
            fail(node, keyPath, "needs at least \(minItems) item\(minItems == 1 ? "" : "s"), got \(items.count)")
            return false
        }
        let x: Double
        switch value {
        case .int(let i): x = Double(i)
        case .double(let d): x = d
        default: return true
        }
        let written: String = { if case .scalar(let t, _) = node.value { return t } else { return "\(x)" } }()
        var ok = true
        if let lo = range.minimum, range.minimumExclusive ? !(x > lo) : !(x >= lo) { ok = false }
        if let hi = range.maximum, range.maximumExclusive ? !(x < hi) : !(x <= hi) { ok = false }
        if range.powerOfTwo, case .int(let i) = value, i <= 0 || i & (i - 1) != 0 { ok = false }
        if !ok {
            fail(node, keyPath, "must be \(Self.rangeMessage(range)), got \(written)", hint: Self.rangeHint(range, x))
        }
        return ok
    }

    /// "≥ 1", "> 0", "≥ 0 and < 1", "a power of 2 from 32 to 4096".
    static func rangeMessage(_ range: ParamRange) -> String {
        func num(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" }
        if range.powerOfTwo, let lo = range.minimum, let hi = range.maximum { return "a power of 2 from \(num(lo)) to \(num(hi))" }
        var parts: [String] = []
        if let lo = range.minimum { parts.append("\(range.minimumExclusive ? ">" : "≥") \(num(lo))") }
        if let hi = range.maximum { parts.append("\(range.maximumExclusive ? "<" : "≤") \(num(hi))") }
        return parts.joined(separator: " and ")
    }

    private static func rangeHint(_ range: ParamRange, _ x: Double) -> String? {
        guard range.powerOfTwo, let lo = range.minimum, let hi = range.maximum, x > 0 else { return nil }
        let below = max(lo, min(hi, pow(2, (log2(x)).rounded(.down))))
        let above = max(lo, min(hi, pow(2, (log2(x)).rounded(.up))))
        return below == above ? "try \(Int64(below))" : "try \(Int64(below)) or \(Int64(above))"
    }

    /// Decimal integers with an optional sign and `_` separators (YAML style).
    static func integer(_ text: String) -> Int64? {
        let t = text.replacingOccurrences(of: "_", with: "")
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }) else { return nil }
        return Int64(t)
    }

    /// Numbers as YAML writes them: `2e-4`, `0.0002`, `.5`, `1_000`; `.inf`/`.nan` give non-finite values.
    static func number(_ text: String) -> Double? {
        let t = text.replacingOccurrences(of: "_", with: "")
        switch t.lowercased() {
        case ".inf", "+.inf", "inf": return .infinity
        case "-.inf", "-inf": return -.infinity
        case ".nan", "nan": return .nan
        default: break
        }
        guard let first = t.first, first.isNumber || first == "." || first == "-" || first == "+",
              t.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
        var spelled = t
        if spelled.hasPrefix(".") { spelled = "0" + spelled }
        if spelled.hasPrefix("-.") { spelled = "-0" + spelled.dropFirst() }
        return Double(spelled)
    }

    /// `2GB`, `500 MB`, `1.5GiB`, `1024` → bytes.
    static func byteSize(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.prefix { $0.isNumber || $0 == "." }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).uppercased()
        guard let amount = Double(digits), amount > 0 else { return nil }
        let scale: Double
        switch unit {
        case "", "B": scale = 1
        case "KB": scale = 1e3
        case "MB": scale = 1e6
        case "GB": scale = 1e9
        case "TB": scale = 1e12
        case "KIB": scale = 1024
        case "MIB": scale = 1024 * 1024
        case "GIB": scale = 1024 * 1024 * 1024
        case "TIB": scale = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = (amount * scale).rounded()
        return bytes < 9e18 ? Int64(bytes) : nil
    }
}
