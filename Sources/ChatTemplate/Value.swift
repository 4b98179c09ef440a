// Runtime values inside the interpreter: the data types of TemplateValue plus Jinja's undefined,
// namespaces, macros and the few global functions. Python semantics for truth, equality, str().

/// A dictionary key: templates build dicts with string keys, and some with integer keys
/// (`{0: 0, 512: 128}`); `True`/`1` and `1.0`/`1` are the same key, as in Python.
enum DictKey: Hashable {
    case string(String)
    case int(Int)

    init?(_ value: Value) {
        switch value {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .int(b ? 1 : 0)
        case .float(let d) where d.rounded() == d && abs(d) < 9e18: self = .int(Int(d))
        default: return nil
        }
    }

    var value: Value {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        }
    }

    /// How the key prints: `str()` for attribute lists and JSON object keys, `repr()` inside dicts.
    var text: String { switch self { case .string(let s): return s; case .int(let i): return String(i) } }
    var repr: String { switch self { case .string(let s): return pyStringRepr(s); case .int(let i): return String(i) } }
}

/// Insertion-ordered dictionary (Python dicts keep insertion order).
struct Dict {
    private(set) var keys: [DictKey] = []
    private var storage: [DictKey: Value] = [:]

    var count: Int { keys.count }
    subscript(key: String) -> Value? {
        get { self[DictKey.string(key)] }
        set { self[DictKey.string(key)] = newValue }
    }
    subscript(key: DictKey) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    var pairs: [(DictKey, Value)] { keys.map { ($0, storage[$0]!) } }
}

/// `namespace(...)`: the one mutable object a template may create (`{% set ns.x = … %}`).
final class Namespace {
    var attributes = Dict()
}

/// A macro and the scope it was defined in (macros read variables of that scope at call time).
final class Macro {
    let definition: MacroDefinition
    let closure: Frame
    init(_ definition: MacroDefinition, closure: Frame) {
        self.definition = definition
        self.closure = closure
    }
}

/// Global functions: what transformers' environment adds to Jinja's defaults, minus anything
/// that reaches outside the template (no `strftime_now` clock unless a fixed date is given).
enum BuiltinFunction: String {
    case range, namespace, dict, raiseException = "raise_exception", strftimeNow = "strftime_now"
}

enum Value {
    /// Jinja's default `Undefined`: falsy, renders empty, errors on attribute access and arithmetic.
    /// The payload says what was undefined, for error messages.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([Value])
    /// Python tuples: tuple literals, `items()` pairs. They behave as lists but print as `(a, b)`.
    case tuple([Value])
    case dict(Dict)
    case namespace(Namespace)
    case macro(Macro)
    case function(BuiltinFunction)

    init(_ value: TemplateValue) {
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .list(let items): self = .list(items.map(Value.init))
        case .dict(let d):
            var out = Dict()
            for (key, item) in d { out[key] = Value(item) }
            self = .dict(out)
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// Items of a list or tuple.
    var sequenceItems: [Value]? {
        switch self {
        case .list(let items), .tuple(let items): return items
        default: return nil
        }
    }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l), .tuple(let l): return !l.isEmpty
        case .dict(let d): return d.count > 0
        case .namespace, .macro, .function: return true
        }
    }

    /// The type name Python would print in an error (`str`, `int`, `list`, `dict`, …).
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .function: return "builtin_function"
        }
    }

    /// Numeric view with Python's bool-is-int rule.
    var number: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    var integer: Int? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        default: return nil
        }
    }
}

// MARK: - Python equality and ordering

func pyEqual(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.string(let x), .string(let y)): return x == y
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { pyEqual($0, $1) }
    case (.dict(let x), .dict(let y)):
        guard x.count == y.count else { return false }
        for (key, value) in x.pairs {
            guard let other = y[key], pyEqual(value, other) else { return false }
        }
        return true
    case (.namespace(let x), .namespace(let y)): return x === y
    case (.macro(let x), .macro(let y)): return x === y
    case (.function(let x), .function(let y)): return x == y
    default:
        if let x = a.integer, let y = b.integer { return x == y }
        if let x = a.number, let y = b.number { return x == y }
        return false
    }
}

/// Python's `<` ordering; nil when the types are not orderable (a TypeError in Python).
func pyLess(_ a: Value, _ b: Value) -> Bool? {
    switch (a, b) {
    case (.string(let x), .string(let y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        for (p, q) in zip(x, y) where !pyEqual(p, q) { return pyLess(p, q) }
        return x.count < y.count
    default:
        if let x = a.integer, let y = b.integer { return x < y }
        if let x = a.number, let y = b.number { return x < y }
        return nil
    }
}

// MARK: - Python str() and repr()

/// Python's `repr(float)`: shortest round-trip digits (`1.0`, `1e-05`, `1e+16`, `inf`, `nan`).
/// Swift's description uses the same digits and the same switch to exponent notation.
func pyFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    return "\(d)"
}

extension Value {
    /// What `{{ value }}` prints: Python's `str()` of the value (Undefined prints nothing).
    var pyStr: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return pyRepr
        }
    }

    /// Python's `repr()`, used for values nested in lists and dicts.
    var pyRepr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return pyFloatRepr(d)
        case .string(let s): return pyStringRepr(s)
        case .list(let l): return "[" + l.map(\.pyRepr).joined(separator: ", ") + "]"
        case .tuple(let t): return "(" + t.map(\.pyRepr).joined(separator: ", ") + (t.count == 1 ? ",)" : ")")
        case .dict(let d): return "{" + d.pairs.map { $0.0.repr + ": " + $0.1.pyRepr }.joined(separator: ", ") + "}"
        case .namespace(let ns): return "<Namespace " + ns.attributes.pairs.map { "\($0.0.text)=\($0.1.pyRepr)" }.joined(separator: ", ") + ">"
        case .macro(let m): return "<Macro '\(m.definition.name)'>"
        case .function(let f): return "<built-in function \(f.rawValue)>"
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
func pyStringRepr(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case " ": out += " "
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if Character(scalar) == quote {
                out += "\\" + String(quote)
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(format2hex(scalar.value))
            } else if !scalar.properties.isPrintablePython {
                out += scalar.value <= 0xFF ? "\\x" + format2hex(scalar.value)
                    : scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, width: 4) : "\\U" + hex(scalar.value, width: 8)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out.append(quote)
    return out
}

private func format2hex(_ v: UInt32) -> String { hex(v, width: 2) }

func hex(_ v: UInt32, width: Int) -> String {
    let digits = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension Unicode.Scalar.Properties {
    /// Approximation of Python's `str.isprintable()` for repr: not a control, separator (other
    /// than space) or unassigned code point.
    var isPrintablePython: Bool {
        switch generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return false
        case .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
