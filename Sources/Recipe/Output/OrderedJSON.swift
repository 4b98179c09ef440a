// A JSON value whose object keys keep the order they were written in, with a stable pretty
// printer (two-space indent, one key per line) — for generated files that are committed and diffed.

indirect enum OrderedJSON {
    case object([(String, OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    /// The value of a typed param, with maps' keys sorted.
    init(_ value: ParamValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .list(let items): self = .array(items.map(OrderedJSON.init))
        case .map(let entries): self = .object(entries.keys.sorted().map { ($0, OrderedJSON(entries[$0]!)) })
        }
    }

    /// Pretty text ending in a newline.
    var pretty: String {
        var out = ""
        write(into: &out, indent: "")
        return out + "\n"
    }

    private func write(into out: inout String, indent: String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += ParamValue.double(d).canonicalJSON
        case .string(let s): out += ParamValue.string(s).canonicalJSON
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            if items.allSatisfy({ $0.isScalar }) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(into: &out, indent: indent)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += indent + "  "
                item.write(into: &out, indent: indent + "  ")
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let entries):
            if entries.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in entries.enumerated() {
                out += indent + "  " + ParamValue.string(key).canonicalJSON + ": "
                value.write(into: &out, indent: indent + "  ")
                out += i + 1 < entries.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .object, .array: return false
        default: return true
        }
    }
}
