// The recipe document as a tree of located values: what the YAML/JSON parser produced, before
// any typing. Every node remembers where it was written, so diagnostics can point at it.
import Basics

/// A located YAML/JSON value. Scalars stay text until a stage definition says what type they are,
/// so `NO` remains the string "NO" where a string is expected.
public struct YNode: Sendable {
    public enum Value: Sendable {
        /// A scalar's text; `quoted` when written in quotes, as a block scalar, or tagged `!!str`
        /// (then it is a string whatever it looks like).
        case scalar(String, quoted: Bool)
        case list([YNode])
        /// Entries in document order; duplicate keys were reported and dropped by the reader.
        case map([YEntry])
    }

    public var value: Value
    public var location: SourceLocation?

    public init(_ value: Value, at location: SourceLocation?) {
        self.value = value
        self.location = location
    }

    /// A plain `null`, `Null`, `NULL`, `~` or empty scalar: "no value", which unsets a key.
    public var isNull: Bool {
        if case .scalar(let text, quoted: false) = value {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    /// The entries when this is a map.
    public var entries: [YEntry]? {
        if case .map(let entries) = value { return entries }
        return nil
    }

    /// The entry for `key` when this is a map.
    public subscript(key: String) -> YEntry? {
        entries?.first { $0.key == key }
    }

    /// A short noun for messages: "a map", "a list", "the string \"x\"", "the value 3".
    public var describedKind: String {
        switch value {
        case .map: return "a map"
        case .list: return "a list"
        case .scalar(let text, let quoted):
            if isNull { return "null" }
            return quoted ? "the string \"\(text)\"" : "`\(text)`"
        }
    }
}

/// One `key: value` entry of a map, with the key's own location.
public struct YEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation?
    public var value: YNode

    public init(key: String, keyLocation: SourceLocation?, value: YNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}
