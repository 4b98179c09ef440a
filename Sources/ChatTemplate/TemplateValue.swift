// TemplateValue: the data a chat template may see — JSON-like values and nothing else.
// No host objects, no callables: a template can only read what it is given, which is what makes
// rendering an untrusted template safe.

/// A JSON-like value passed to a chat template (messages, tools, extra variables).
///
/// Dictionaries keep insertion order, as Python's do, because `tojson` and `items()` render keys
/// in that order.
public enum TemplateValue: Hashable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    case dict(TemplateDictionary)
}

/// An insertion-ordered string-keyed dictionary of template values.
public struct TemplateDictionary: Hashable, Sendable, Sequence {
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    public init() {}

    public init(_ pairs: [(String, TemplateValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { keys.count }

    /// Setting an existing key keeps its position; setting `nil` removes it.
    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func makeIterator() -> AnyIterator<(key: String, value: TemplateValue)> {
        var index = 0
        return AnyIterator {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            let key = keys[index]
            return (key, storage[key]!)
        }
    }

    public static func == (a: TemplateDictionary, b: TemplateDictionary) -> Bool {
        a.keys == b.keys && a.storage == b.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        for key in keys { hasher.combine(storage[key]) }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .dict(TemplateDictionary(elements)) }
    public init(nilLiteral: ()) { self = .none }
}
