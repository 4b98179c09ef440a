// The kinds of artifact stages produce and consume, so the compiler can check that each input
// makes sense (e.g. `quantize` needs an unquantized model). Open: test-only stages add their own.

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

    /// "any model", or the kinds' nouns joined with commas, for docs and the schema.
    public static func describe(_ kinds: Set<ArtifactKind>) -> String {
        kinds.isSuperset(of: anyModel) && kinds.count == anyModel.count
            ? "any model (unquantized, quantized, prepared, with adapters, trained or saved)"
            : kinds.sorted().map(\.noun).joined(separator: ", ")
    }
}
