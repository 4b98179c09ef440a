// The settings of a dataset build — the `dataset` stage's params, typed — and the statistics it reports.

/// How to turn a dataset file into training sequences (mirrors the `dataset` stage's params).
public struct DatasetOptions: Sendable, Equatable {
    public var format: DatasetFormat = .alpaca
    /// `{field}` prompt template, for `format: template`.
    public var template: String?
    /// Format field → column; the key `records` names the list inside a JSON object file.
    public var columns: [String: String] = [:]
    public var useChatTemplate = false
    public var systemPrompt: String?
    public var lossOn: LossTarget = .completion
    public var maxSequenceLength = 512
    public var truncation: TruncationSide = .right
    public var overlong: OverlongPolicy = .truncate
    public var packing = false
    /// Shuffle with `seed` (SplitMix64 + Fisher–Yates) before `maxSamples` and the eval split.
    public var shuffle = true
    /// Fraction of examples held out for evaluation (0: none).
    public var evalSplit: Double = 0
    /// Keep only the first N examples (after shuffling, before the eval split).
    public var maxSamples: Int?
    public var dedupe = false
    /// `on_error: skip`: skip malformed rows (counted) instead of failing on the first.
    public var skipMalformed = false
    public var seed: UInt64 = 0

    public init() {}
}

/// What a build did, for `stats.json`, the stage's metrics and the log.
public struct DatasetStats: Codable, Sendable, Equatable {
    /// Records read from the training file (and the eval file).
    public var records = 0
    /// Malformed records skipped (`on_error: skip`).
    public var skippedRows = 0
    /// Exact duplicates dropped (`dedupe`).
    public var duplicates = 0
    public var examples = 0
    public var evalExamples = 0
    public var tokens = 0
    public var trainedTokens = 0
    public var evalTokens = 0
    public var evalTrainedTokens = 0
    /// Examples longer than `maxSequenceLength` (both splits).
    public var overlong = 0
    public var truncated = 0
    public var dropped = 0
    /// Rows (sequences) in the train and eval files.
    public var sequences = 0
    public var evalSequences = 0
    public var maxSequenceLength = 0
    /// Training tokens / (sequences × maxSequenceLength): how full fixed-length rows would be.
    public var packingEfficiency = 0.0

    public init() {}

    /// The metrics the stage reports (snake_case names).
    public var metrics: [String: Double] {
        ["records": Double(records), "skipped_rows": Double(skippedRows), "duplicates": Double(duplicates),
         "examples": Double(examples), "eval_examples": Double(evalExamples), "tokens": Double(tokens),
         "trained_tokens": Double(trainedTokens), "eval_tokens": Double(evalTokens), "eval_trained_tokens": Double(evalTrainedTokens),
         "overlong": Double(overlong), "truncated": Double(truncated), "dropped": Double(dropped),
         "sequences": Double(sequences), "eval_sequences": Double(evalSequences), "packing_efficiency": packingEfficiency]
    }

    enum CodingKeys: String, CodingKey {
        case records, duplicates, examples, tokens, overlong, truncated, dropped, sequences
        case skippedRows = "skipped_rows", evalExamples = "eval_examples", trainedTokens = "trained_tokens"
        case evalTokens = "eval_tokens", evalTrainedTokens = "eval_trained_tokens", evalSequences = "eval_sequences"
        case maxSequenceLength = "max_seq_len", packingEfficiency = "packing_efficiency"
    }
}
