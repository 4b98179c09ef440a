// The key/value metadata of a GGUF file, in file order, with typed accessors that say exactly
// which key was missing or had the wrong type (`metadata.string("tokenizer.chat_template")`).
import Basics

/// GGUF metadata: unique keys in file order. Typed accessors throw a RunnerError naming the file
/// and key when the key is missing or holds another type; `value(_:)` returns nil when missing.
public struct GGUFMetadata: Sendable {
    /// Key/value pairs in the order the file lists them (keys are unique).
    public let entries: [(key: String, value: GGUFValue)]
    /// The file these came from, for error messages.
    public let fileName: String
    private let index: [String: Int]

    init(entries: [(key: String, value: GGUFValue)], index: [String: Int], fileName: String) {
        self.entries = entries
        self.index = index
        self.fileName = fileName
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public func contains(_ key: String) -> Bool { index[key] != nil }

    /// The value under `key`, or nil.
    public func value(_ key: String) -> GGUFValue? { index[key].map { entries[$0].value } }
    public subscript(key: String) -> GGUFValue? { value(key) }

    private func require(_ key: String) throws -> GGUFValue {
        guard let value = value(key) else {
            throw RunnerError(fileName, "metadata key '\(key)' is missing")
        }
        return value
    }

    private func mismatch(_ key: String, _ expected: String, _ value: GGUFValue) -> RunnerError {
        RunnerError(fileName, "metadata key '\(key)' should be \(expected), found \(describe(value))")
    }

    private func describe(_ value: GGUFValue) -> String {
        if case let .array(items) = value { return "an array of \(items.count) \(items.elementType)" }
        return "a \(value.type)"
    }

    /// The value of `key` as `extract` reads it; `expected` names the type for the mismatch error.
    private func typed<T>(_ key: String, _ expected: String, _ extract: (GGUFValue) -> T?) throws -> T {
        let value = try require(key)
        guard let typed = extract(value) else { throw mismatch(key, expected, value) }
        return typed
    }

    /// A string value.
    public func string(_ key: String) throws -> String { try typed(key, "a string") { $0.stringValue } }

    /// An integer value of any integer type, as Int.
    public func int(_ key: String) throws -> Int { try typed(key, "an integer") { $0.intValue } }

    /// A float value (f32 or f64; integers are accepted too), as Double.
    public func double(_ key: String) throws -> Double { try typed(key, "a number") { $0.doubleValue } }

    public func bool(_ key: String) throws -> Bool { try typed(key, "a bool") { $0.boolValue } }

    /// An array of any element type.
    public func array(_ key: String) throws -> GGUFArray { try typed(key, "an array") { $0.arrayValue } }

    /// An array of strings (e.g. `tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    public func strings(_ key: String) throws -> [String] {
        try typed(key, "an array of strings") { if case let .array(.string(items)) = $0 { items } else { nil } }
    }

    /// An array of integers of any integer type (e.g. `tokenizer.ggml.token_type`), as Int.
    public func ints(_ key: String) throws -> [Int] {
        try typed(key, "an array of integers (fitting in Int)") { $0.arrayValue?.ints }
    }

    /// An array of numbers (e.g. `tokenizer.ggml.scores`) as Float; f64 and integers convert.
    public func floats(_ key: String) throws -> [Float] { try typed(key, "an array of numbers") { $0.arrayValue?.floats } }

    /// Optional variants: nil when the key is missing, an error when it holds another type.
    public func stringIfPresent(_ key: String) throws -> String? { contains(key) ? try string(key) : nil }
    public func intIfPresent(_ key: String) throws -> Int? { contains(key) ? try int(key) : nil }
    public func doubleIfPresent(_ key: String) throws -> Double? { contains(key) ? try double(key) : nil }
    public func boolIfPresent(_ key: String) throws -> Bool? { contains(key) ? try bool(key) : nil }
    public func stringsIfPresent(_ key: String) throws -> [String]? { contains(key) ? try strings(key) : nil }
    public func intsIfPresent(_ key: String) throws -> [Int]? { contains(key) ? try ints(key) : nil }
    public func floatsIfPresent(_ key: String) throws -> [Float]? { contains(key) ? try floats(key) : nil }
    public func arrayIfPresent(_ key: String) throws -> GGUFArray? { contains(key) ? try array(key) : nil }
}
