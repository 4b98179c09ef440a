// A stage parameter's definition: its type, default, range, documentation, and how it is filled
// when the recipe leaves it out (plain default, default unless another key is set, or inherited).

/// A parameter's value type. Values are checked against it exactly as written (see docs/RECIPES.md).
public indirect enum ParamType: Hashable, Sendable {
    /// `true` or `false` only (YAML 1.1 `yes`/`no`/`on`/`off` are rejected).
    case bool
    case int
    /// Any number; `2e-4` and `0.0002` are the same value.
    case double
    case string
    /// One of a fixed set of strings.
    case choice([String])
    case list(ParamType)
    /// A map from free-form names to strings (e.g. dataset `columns`).
    case stringMap
    /// A byte size such as `2GB`, `500MB` or a plain number of bytes; compiled to an integer.
    case byteSize
    /// A local file or directory, relative to the recipe's directory (or `hf://…` when `remote`).
    case path(PathUse)
    /// The first alternative that fits (e.g. the string `all-linear` or a list of names).
    case oneOf([ParamType])

    /// How a path parameter is used.
    public enum PathUse: Hashable, Sendable {
        /// Read by the stage: its content feeds the cache key; must exist. `directoryAllowed` for model dirs.
        case input(directoryAllowed: Bool, remoteAllowed: Bool)
        /// Where the artifact is materialized; not part of the cache key.
        case output
    }

    /// How docs and messages name the type.
    public var name: String {
        switch self {
        case .bool: return "bool"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .choice(let options): return options.map { "`\($0)`" }.joined(separator: " | ")
        case .list(.string): return "list of strings"
        case .list(let item): return "list of (\(item.name))"
        case .stringMap: return "map of string → string"
        case .byteSize: return "byte size"
        case .path(.output): return "output path"
        case .path(.input(let dir, let remote)):
            return (dir ? "file or directory path" : "file path") + (remote ? " or `hf://` URL" : "")
        case .oneOf(let types): return types.map(\.name).joined(separator: " or ")
        }
    }
}

/// Bounds on a numeric value (and item counts for lists).
public struct ParamRange: Hashable, Sendable {
    public var minimum: Double?
    public var minimumExclusive = false
    public var maximum: Double?
    public var maximumExclusive = false
    /// Value must be a power of two (block sizes).
    public var powerOfTwo = false
    /// Lists: fewest items.
    public var minItems: Int?

    public init(minimum: Double? = nil, minimumExclusive: Bool = false, maximum: Double? = nil,
                maximumExclusive: Bool = false, powerOfTwo: Bool = false, minItems: Int? = nil) {
        self.minimum = minimum
        self.minimumExclusive = minimumExclusive
        self.maximum = maximum
        self.maximumExclusive = maximumExclusive
        self.powerOfTwo = powerOfTwo
        self.minItems = minItems
    }

    public static func atLeast(_ v: Double) -> ParamRange { ParamRange(minimum: v) }
    public static func above(_ v: Double) -> ParamRange { ParamRange(minimum: v, minimumExclusive: true) }

    /// Human form: `≥ 1`, `0 ≤ x < 1`, `power of 2 in 32…4096`, `≥ 1 item`.
    public var text: String {
        if let minItems { return "≥ \(minItems) item\(minItems == 1 ? "" : "s")" }
        func num(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" }
        if powerOfTwo, let lo = minimum, let hi = maximum { return "power of 2 in \(num(lo))…\(num(hi))" }
        switch (minimum, maximum) {
        case let (lo?, hi?):
            return "\(num(lo)) \(minimumExclusive ? "<" : "≤") x \(maximumExclusive ? "<" : "≤") \(num(hi))"
        case let (lo?, nil): return "\(minimumExclusive ? ">" : "≥") \(num(lo))"
        case let (nil, hi?): return "\(maximumExclusive ? "<" : "≤") \(num(hi))"
        case (nil, nil): return ""
        }
    }
}

/// One parameter of a stage kind.
public struct ParamSpec: Sendable {
    public var key: String
    public var type: ParamType
    /// Filled in when the recipe leaves the key out; nil = no default (absent stays absent).
    public var defaultValue: ParamValue?
    public var range: ParamRange?
    public var required: Bool
    public var doc: String
    /// When absent, take the value of `param` from the nearest upstream stage of kind `stageKind`
    /// (following model inputs), else `defaultValue`. E.g. train's `gradient_checkpointing`.
    public var inherit: (stageKind: String, param: String)?
    /// The default applies only when this other key is not written (`epochs` vs `max_steps`).
    public var defaultUnlessSet: String?

    public init(_ key: String, _ type: ParamType, default defaultValue: ParamValue? = nil, range: ParamRange? = nil,
                required: Bool = false, inherit: (stageKind: String, param: String)? = nil, defaultUnlessSet: String? = nil,
                doc: String) {
        self.defaultUnlessSet = defaultUnlessSet
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.range = range
        self.required = required
        self.doc = doc
        self.inherit = inherit
    }
}
