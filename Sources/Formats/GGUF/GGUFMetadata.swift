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
        if case let .array(elementType, items) = value { return "an array of \(items.count) \(elementType)" }
        return "a \(value.type)"
    }

    /// A string value.
    public func string(_ key: String) throws -> String {
        let value = try require(key)
        guard let s = value.stringValue else { throw mismatch(key, "a string", value) }
        return s
    }

    /// An integer value of any integer type, as Int.
    public func int(_ key: String) throws -> Int {
        let value = try require(key)
        guard let i = value.intValue else { throw mismatch(key, "an integer", value) }
        return i
    }

    /// A float value (f32 or f64; integers are accepted too), as Double.
    public func double(_ key: String) throws -> Double {
        let value = try require(key)
        guard let d = value.doubleValue else { throw mismatch(key, "a number", value) }
        return d
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try require(key)
        guard let b = value.boolValue else { throw mismatch(key, "a bool", value) }
        return b
    }

    /// An array of strings (e.g. `tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    public func strings(_ key: String) throws -> [String] {
        let value = try require(key)
        guard case let .array(.string, items) = value else { throw mismatch(key, "an array of strings", value) }
        return items.map { $0.stringValue! }
    }

    /// An array of integers of any integer type (e.g. `tokenizer.ggml.token_type`), as Int.
    public func ints(_ key: String) throws -> [Int] {
        let value = try require(key)
        guard case let .array(elementType, items) = value, elementType != .array, elementType != .string,
              elementType != .bool, elementType != .float32, elementType != .float64 else {
            throw mismatch(key, "an array of integers", value)
        }
        var out = [Int]()
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let v = item.intValue else {
                throw RunnerError(fileName, "metadata key '\(key)'[\(i)] does not fit in Int")
            }
            out.append(v)
        }
        return out
    }

    /// An array of f32 values (e.g. `tokenizer.ggml.scores`); f64 and integer arrays are converted.
    public func floats(_ key: String) throws -> [Float] {
        let value = try require(key)
        guard case let .array(elementType, items) = value, elementType != .array, elementType != .string,
              elementType != .bool else {
            throw mismatch(key, "an array of numbers", value)
        }
        return items.map { Float($0.doubleValue!) }
    }

    /// Optional variants: nil when the key is missing, an error when it holds another type.
    public func stringIfPresent(_ key: String) throws -> String? { contains(key) ? try string(key) : nil }
    public func intIfPresent(_ key: String) throws -> Int? { contains(key) ? try int(key) : nil }
    public func doubleIfPresent(_ key: String) throws -> Double? { contains(key) ? try double(key) : nil }
    public func boolIfPresent(_ key: String) throws -> Bool? { contains(key) ? try bool(key) : nil }
    public func stringsIfPresent(_ key: String) throws -> [String]? { contains(key) ? try strings(key) : nil }
    public func intsIfPresent(_ key: String) throws -> [Int]? { contains(key) ? try ints(key) : nil }
    public func floatsIfPresent(_ key: String) throws -> [Float]? { contains(key) ? try floats(key) : nil }
}
