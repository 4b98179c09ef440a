// What a stage kind is, as data: its parameters (type, default, range, doc), the inputs it takes
// from other stages and the artifact it produces. Validation, compilation, the JSON Schema and
// docs/RECIPES.md are all generated from these definitions, so they cannot drift apart.

/// What a stage produces, so the compiler can check that a stage's inputs make sense
/// (e.g. `quantize` needs an unquantized model). Open for test-only stage kinds.
public struct ArtifactKind: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: String
    /// How messages name it ("an unquantized model").
    public var noun: String

    public init(rawValue: String) {
        self.rawValue = rawValue
        self.noun = rawValue
    }

    public init(_ rawValue: String, noun: String) {
        self.rawValue = rawValue
        self.noun = noun
    }

    public static func == (a: Self, b: Self) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }

    /// Full- or half-precision weights (from `load`, a full `train`, or `merge`).
    public static let model = ArtifactKind("model", noun: "an unquantized model")
    /// A model whose linear weights are 4/8-bit (from `quantize`).
    public static let quantizedModel = ArtifactKind("quantized_model", noun: "a quantized model")
    /// A quantized model made ready for k-bit training (from `prepare_kbit`).
    public static let preparedModel = ArtifactKind("prepared_model", noun: "a k-bit-prepared model")
    /// A model with fresh LoRA adapters attached (from `lora`).
    public static let adapterModel = ArtifactKind("adapter_model", noun: "a model with LoRA adapters")
    /// LoRA adapters after training, with their base (from `train` in adapter mode).
    public static let trainedAdapter = ArtifactKind("trained_adapter", noun: "a trained adapter")
    /// A trained adapter written to disk in PEFT layout (from `save`).
    public static let savedAdapter = ArtifactKind("saved_adapter", noun: "a saved adapter")
    /// Tokenized, prompt-formatted training examples (from `dataset`).
    public static let dataset = ArtifactKind("dataset", noun: "a tokenized dataset")
    /// A GGUF file (from `export`).
    public static let gguf = ArtifactKind("gguf", noun: "a GGUF file")
    /// A record of a published artifact (from `push`).
    public static let published = ArtifactKind("published", noun: "a published artifact")
    /// Evaluation metrics (from `eval`).
    public static let report = ArtifactKind("report", noun: "an evaluation report")
    /// Generated text (from `generate`).
    public static let generations = ArtifactKind("generations", noun: "generated text")

    /// Anything a model can be run from (for `eval`, `generate`, a dataset's tokenizer).
    public static let anyModel: Set<ArtifactKind> = [.model, .quantizedModel, .preparedModel, .adapterModel, .trainedAdapter, .savedAdapter]
}

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

/// An input a stage takes from another stage: the key names the upstream stage (`from: base`).
public struct InputRole: Sendable {
    public var key: String
    /// Artifact kinds this input accepts.
    public var accepts: Set<ArtifactKind>
    /// Overrides `accepts` when parameter `param` has value `value` (train `mode: full`).
    public var acceptsWhen: [(param: String, value: String, accepts: Set<ArtifactKind>)]
    public var required: Bool
    public var doc: String

    public init(_ key: String, accepts: Set<ArtifactKind>, acceptsWhen: [(param: String, value: String, accepts: Set<ArtifactKind>)] = [],
                required: Bool = true, doc: String) {
        self.key = key
        self.accepts = accepts
        self.acceptsWhen = acceptsWhen
        self.required = required
        self.doc = doc
    }

    /// What this input accepts given the stage's compiled params.
    public func accepted(with params: [String: ParamValue]) -> Set<ArtifactKind> {
        for rule in acceptsWhen where params[rule.param] == .string(rule.value) { return rule.accepts }
        return accepts
    }
}

/// A check across several params of one stage, with a sentence for the docs.
public struct ParamRule: Sendable {
    public enum Check: Sendable {
        /// At most one of these keys may be written.
        case exclusive([String])
        /// When `param` is `value`, `required` must be written.
        case requires(param: String, value: String, required: String)
        /// `key` is only meaningful when `param` is one of `values`.
        case onlyWith(key: String, param: String, values: [String])
    }

    public var check: Check
    public init(_ check: Check) { self.check = check }

    public var text: String {
        switch check {
        case .exclusive(let keys): return "Set at most one of " + keys.map { "`\($0)`" }.joined(separator: ", ") + "."
        case .requires(let param, let value, let required): return "`\(required)` is required when `\(param)` is `\(value)`."
        case .onlyWith(let key, let param, let values):
            return "`\(key)` applies only when `\(param)` is " + values.map { "`\($0)`" }.joined(separator: " or ") + "."
        }
    }
}

/// The definition of one stage kind.
public struct StageSpec: Sendable {
    /// The `kind:` value (e.g. `lora`).
    public var kind: String
    /// One paragraph for the docs.
    public var summary: String
    public var inputs: [InputRole]
    public var params: [ParamSpec]
    public var rules: [ParamRule]
    /// What the stage produces; may depend on its params (train `mode`).
    public var output: ArtifactKind
    /// Overrides `output` when parameter `param` has value `value`.
    public var outputWhen: [(param: String, value: String, output: ArtifactKind)]
    /// The recipe's `seed` feeds this stage (it becomes the `seed` param, so changing the seed
    /// re-runs only stages that use randomness).
    public var usesSeed: Bool

    public init(kind: String, summary: String, inputs: [InputRole] = [], params: [ParamSpec] = [], rules: [ParamRule] = [],
                output: ArtifactKind, outputWhen: [(param: String, value: String, output: ArtifactKind)] = [], usesSeed: Bool = false) {
        self.kind = kind
        self.summary = summary
        self.inputs = inputs
        self.params = params
        self.rules = rules
        self.output = output
        self.outputWhen = outputWhen
        self.usesSeed = usesSeed
    }

    public func param(_ key: String) -> ParamSpec? { params.first { $0.key == key } }
    public func input(_ key: String) -> InputRole? { inputs.first { $0.key == key } }

    /// Every key a stage of this kind may contain.
    public var allKeys: [String] { ["kind"] + inputs.map(\.key) + params.map(\.key) }

    /// The artifact produced given compiled params.
    public func produces(with params: [String: ParamValue]) -> ArtifactKind {
        for rule in outputWhen where params[rule.param] == .string(rule.value) { return rule.output }
        return output
    }
}

/// The stage kinds a recipe may use. `.builtin` has the real ones; tests add their own.
public struct StageCatalog: Sendable {
    public private(set) var specs: [StageSpec]

    public init(_ specs: [StageSpec]) { self.specs = specs }

    public subscript(kind: String) -> StageSpec? { specs.first { $0.kind == kind } }

    /// A catalog with `spec` added (replacing any spec of the same kind).
    public func adding(_ spec: StageSpec) -> StageCatalog {
        StageCatalog(specs.filter { $0.kind != spec.kind } + [spec])
    }

    public var kinds: [String] { specs.map(\.kind) }
}
