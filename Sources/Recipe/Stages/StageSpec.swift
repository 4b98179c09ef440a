// What a stage kind is, as data: its parameters (type, default, range, doc), the inputs it takes
// from other stages and the artifact it produces. Validation, compilation, the JSON Schema and
// docs/RECIPES.md are all generated from these definitions, so they cannot drift apart.

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
