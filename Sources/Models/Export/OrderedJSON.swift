// A JSON value whose objects keep their key order, and its text as Hugging Face writes its files
// (two-space indent, UTF-8, only `"`, `\` and control characters escaped). Used for tokenizer.json,
// whose vocabulary must stay in id order and whose keys must never be merged by Unicode equivalence.
import Basics
import Foundation

indirect enum OrderedJSON {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// The text of the value; `indent` nil writes it on one line.
    func text(indent: Int? = 2) -> String {
        var out = ""
        write(to: &out, indent: indent, depth: 0)
        return out
    }

    /// The UTF-8 text with a final newline, as a file.
    func fileData(indent: Int? = 2) -> Data { Data((text(indent: indent) + "\n").utf8) }

    private func write(to out: inout String, indent: Int?, depth: Int) {
        func newline(_ level: Int) {
            guard let indent else { return }
            out += "\n" + String(repeating: " ", count: indent * level)
        }
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .string(let value): Self.quote(value, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += indent == nil ? ", " : "," }
                newline(depth + 1)
                item.write(to: &out, indent: indent, depth: depth + 1)
            }
            newline(depth)
            out += "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += indent == nil ? ", " : "," }
                newline(depth + 1)
                Self.quote(key, into: &out)
                out += ": "
                value.write(to: &out, indent: indent, depth: depth + 1)
            }
            newline(depth)
            out += "}"
        }
    }

    /// The escaping these files have always had (export output must not change): `\b` and `\f`
    /// as `\u0008` `\u000c`, DEL escaped, everything else above ASCII as UTF-8.
    private static let escaping = JSONStringEscaping(shortBackspaceAndFormFeed: false, escapesDelete: true, asciiOnly: false)

    private static func quote(_ text: String, into out: inout String) {
        JSONString.append(text, escaping, to: &out)
    }
}
