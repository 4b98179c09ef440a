// Typed access to a stage's params for stage implementations: `try context.int("r")`. The compiler
// has already validated types and filled defaults, so a mismatch here is a bug between a StageSpec
// and its implementation — reported with the stage and key, never a crash.
import Basics
import Recipe

extension StageContext {
    /// The raw value, or nil when the param is absent (optional params without a default).
    public func param(_ key: String) -> ParamValue? { stage.params[key] }

    public func int(_ key: String) throws -> Int {
        guard case .int(let v)? = stage.params[key], let i = Int(exactly: v) else { throw mismatch(key, "an integer") }
        return i
    }

    /// Accepts integers too (`alpha: 16`).
    public func double(_ key: String) throws -> Double {
        switch stage.params[key] {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: throw mismatch(key, "a number")
        }
    }

    public func string(_ key: String) throws -> String {
        guard case .string(let s)? = stage.params[key] else { throw mismatch(key, "a string") }
        return s
    }

    public func bool(_ key: String) throws -> Bool {
        guard case .bool(let b)? = stage.params[key] else { throw mismatch(key, "a bool") }
        return b
    }

    public func strings(_ key: String) throws -> [String] {
        guard case .list(let items)? = stage.params[key] else { throw mismatch(key, "a list of strings") }
        return try items.map {
            guard case .string(let s) = $0 else { throw mismatch(key, "a list of strings") }
            return s
        }
    }

    /// nil when the param is absent or null (optional params without a default); else as `string`.
    public func optionalString(_ key: String) throws -> String? { isUnset(key) ? nil : try string(key) }

    /// nil when the param is absent or null; else as `int`.
    public func optionalInt(_ key: String) throws -> Int? { isUnset(key) ? nil : try int(key) }

    /// nil when the param is absent or null; else as `double`.
    public func optionalDouble(_ key: String) throws -> Double? { isUnset(key) ? nil : try double(key) }

    private func isUnset(_ key: String) -> Bool {
        switch stage.params[key] {
        case nil, .null?: true
        default: false
        }
    }

    private func mismatch(_ key: String, _ expected: String) -> RunnerError {
        RunnerError("stage `\(stage.name)` (\(stage.kind))", "param `\(key)` is \(stage.params[key].map { "`\($0.canonicalJSON)`" } ?? "missing"), expected \(expected)",
                    hint: "the stage's StageSpec and its implementation disagree; this is a bug in runner")
    }
}
