// `tojson` as transformers overrides it: Python's `json.dumps(x, ensure_ascii=False, indent=…,
// separators=…, sort_keys=…)` — no HTML escaping, Python's float formatting, insertion order.

import Basics

struct JSONWriter {
    let interpreter: Interpreter
    let offset: Int
    let indent: String?
    let ensureASCII: Bool
    let itemSeparator: String
    let keySeparator: String
    let sortKeys: Bool

    init(interpreter: Interpreter, offset: Int, indent: String?, ensureASCII: Bool, separators: (String, String)?, sortKeys: Bool) {
        self.interpreter = interpreter
        self.offset = offset
        self.indent = indent
        self.ensureASCII = ensureASCII
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }

    func encode(_ value: Value) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func newline(_ level: Int, _ out: inout String) throws {
        guard let indent else { return }
        // A huge `indent` repeated per level and item must hit the value budget before it is built.
        let (width, over) = indent.utf8.count.multipliedReportingOverflow(by: level)
        try interpreter.checkSize(over ? Int.max : out.utf8.count.addingReportingOverflow(width).partialValue,
                                  "tojson output", at: offset)
        out += "\n" + String(repeating: indent, count: level)
    }

    private func write(_ value: Value, level: Int, into out: inout String) throws {
        try interpreter.tick(offset)
        try interpreter.checkSize(out.utf8.count, "tojson output", at: offset)
        if level > interpreter.limits.maxNestingDepth {
            throw interpreter.limitHit("nesting depth", "tojson value nests deeper than \(interpreter.limits.maxNestingDepth) levels",
                                       at: offset, setting: "maxNestingDepth")
        }
        switch value {
        case .undefined:
            throw interpreter.fail(.type, "Object of type Undefined is not JSON serializable", at: offset)
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : pyFloatRepr(d)
        case .string(let s): out += quote(s)
        case .list(let items), .tuple(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                try newline(level + 1, &out)
                try write(item, level: level + 1, into: &out)
            }
            try newline(level, &out)
            out += "]"
        case .dict(let d):
            try writeObject(d.pairs, level: level, into: &out)
        case .namespace, .macro, .function:
            throw interpreter.fail(.type, "Object of type \(value.typeName) is not JSON serializable", at: offset)
        }
    }

    private func writeObject(_ pairs: [(DictKey, Value)], level: Int, into out: inout String) throws {
        if pairs.isEmpty { out += "{}"; return }
        var ordered = pairs
        if sortKeys {
            // Python sorts the keys themselves: numbers numerically, strings by code point; mixing fails.
            var mixed = false
            ordered.sort { a, b in
                switch (a.0, b.0) {
                case (.string(let x), .string(let y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
                case (.int(let x), .int(let y)): return x < y
                default: mixed = true; return false
                }
            }
            if mixed { throw interpreter.fail(.type, "'<' not supported between instances of 'int' and 'str'", at: offset) }
        }
        out += "{"
        for (i, (key, item)) in ordered.enumerated() {
            if i > 0 { out += itemSeparator }
            try newline(level + 1, &out)
            out += quote(key.text) + keySeparator
            try write(item, level: level + 1, into: &out)
        }
        try newline(level, &out)
        out += "}"
    }

    private func quote(_ s: String) -> String {
        JSONString.quoted(s, ensureASCII ? .pythonASCII : .minimal)
    }
}
