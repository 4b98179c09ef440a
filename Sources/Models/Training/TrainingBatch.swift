// One micro-batch for training: tokens, labels (transformers convention: unshifted, -100 ignored),
// and optional positions / segment ids for packed sequences.
import Basics
import Compute

/// B sequences of T tokens, row-major.
///
/// Labels follow transformers: `labels[b, t]` is the token expected *at* position t, and the model
/// shifts them (position t predicts `labels[b, t + 1]`; the last position predicts nothing).
/// Positions with label -100 add nothing to the loss.
public struct TrainingBatch: Sendable {
    public var tokens: [Int32]          // (B, T)
    public var labels: [Int32]          // (B, T)
    public var batchSize: Int           // B
    /// (B, T) rope positions; default 0..<T in every row. Packed rows restart them per example.
    public var positions: [Int32]?
    /// (B, T) example ids: attention stays within an example of a packed row.
    public var segmentIds: [Int32]?

    public init(tokens: [Int32], labels: [Int32], batchSize: Int, positions: [Int32]? = nil, segmentIds: [Int32]? = nil) {
        self.tokens = tokens
        self.labels = labels
        self.batchSize = batchSize
        self.positions = positions
        self.segmentIds = segmentIds
    }

    /// T, the tokens per sequence.
    public var sequenceLength: Int { batchSize > 0 ? tokens.count / batchSize : 0 }

    /// Per-position targets after the shift: `labels[b, t + 1]`, and -100 at each row's last position. (B·T)
    public var shiftedTargets: [Int32] {
        let t = sequenceLength
        return (0..<tokens.count).map { i in i % t == t - 1 ? ignoreLabel : labels[i + 1] }
    }

    /// Tokens that count toward the loss (targets ≠ -100). Sum this over the micro-batches of one
    /// optimizer step and pass it as `lossNormalizer` to get transformers' gradient-accumulation loss.
    public var targetTokenCount: Int { shiftedTargets.reduce(0) { $0 + ($1 == ignoreLabel ? 0 : 1) } }

    /// Checks sizes and ranges; `maxBatch`/`maxSequence` are what the model planned for.
    func validate(vocabSize: Int, maxBatch: Int, maxSequence: Int) throws {
        let n = tokens.count
        guard batchSize > 0, batchSize <= maxBatch, n > 0, n % batchSize == 0 else {
            throw RunnerError("training batch", "\(n) tokens do not form \(batchSize) sequences (planned for at most \(maxBatch))")
        }
        let t = n / batchSize
        guard t <= maxSequence else {
            throw RunnerError("training batch", "sequence length \(t) exceeds the planned \(maxSequence)", hint: "raise the sequence length of the model")
        }
        guard labels.count == n else {
            throw RunnerError("training batch", "\(labels.count) labels for \(n) tokens", hint: "give one label per token (-100 to ignore)")
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabSize }) {
            throw RunnerError("training batch", "token \(tokens[bad]) at index \(bad) is outside the vocabulary (0..<\(vocabSize))")
        }
        if let bad = labels.firstIndex(where: { $0 != ignoreLabel && ($0 < 0 || Int($0) >= vocabSize) }) {
            throw RunnerError("training batch", "label \(labels[bad]) at index \(bad) is outside the vocabulary (0..<\(vocabSize)) and is not -100")
        }
        if let positions {
            guard positions.count == n, positions.allSatisfy({ $0 >= 0 && Int($0) < maxSequence }) else {
                throw RunnerError("training batch", "positions must be \(n) values in 0..<\(maxSequence)")
            }
        }
        if let segmentIds, segmentIds.count != n {
            throw RunnerError("training batch", "\(segmentIds.count) segment ids for \(n) tokens")
        }
    }
}
