// Prompt templates as format strings: `<human>: {question}\n<assistant>: {answer}`. `{field}` is
// replaced by the record's field; `{{` and `}}` write literal braces.
import Foundation

/// A parsed `{field}` format string.
public struct PromptTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case field(String)
    }

    public let parts: [Part]

    /// Parses `source`; an unclosed `{`, an empty `{}` or a stray `}` is an error with its column.
    public init(_ source: String) throws {
        var parts: [Part] = []
        var literal = ""
        var scalars = Array(source.unicodeScalars)[...]
        var column = 0
        func fail(_ message: String) -> Error {
            DatasetError.general("template", "\(message) at column \(column)", hint: "placeholders look like `{field}`; write `{{` and `}}` for literal braces")
        }
        while let scalar = scalars.popFirst() {
            column += 1
            if scalar == "{" {
                if scalars.first == "{" { scalars.removeFirst(); column += 1; literal.unicodeScalars.append("{"); continue }
                var name = ""
                let open = column
                var closed = false
                while let next = scalars.popFirst() {
                    column += 1
                    if next == "}" { closed = true; break }
                    if next == "{" { column = open; throw fail("`{` inside a placeholder") }
                    name.unicodeScalars.append(next)
                }
                guard closed else { column = open; throw fail("unclosed `{`") }
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { column = open; throw fail("empty placeholder `{}`") }
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                parts.append(.field(trimmed))
            } else if scalar == "}" {
                guard scalars.first == "}" else { throw fail("stray `}`") }
                scalars.removeFirst()
                column += 1
                literal.unicodeScalars.append("}")
            } else {
                literal.unicodeScalars.append(scalar)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// Field names in order of appearance.
    public var fields: [String] { parts.compactMap { if case .field(let name) = $0 { name } else { nil } } }

    /// Fills the placeholders of `parts[range]` with `value(field)`.
    func render(_ range: Range<Int>, _ value: (String) throws -> String) rethrows -> String {
        var out = ""
        for part in parts[range] {
            switch part {
            case .literal(let text): out += text
            case .field(let name): out += try value(name)
            }
        }
        return out
    }
}
