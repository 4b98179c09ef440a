// Picking the next token from logits with transformers' semantics and order: repetition
// penalty, then temperature, top-k, top-p, then a seeded draw (or argmax when not sampling).
import Basics
import Foundation

/// Turns logits into token choices. Holds the random stream, so one sampler per generation.
public struct Sampler {
    public let parameters: SamplingParameters
    private var random: SplitMix64

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        self.random = SplitMix64(seed: parameters.seed)
    }

    /// HF `RepetitionPenaltyLogitsProcessor`: for every token id already in `context`, a positive
    /// logit is divided by the penalty and a negative one multiplied by it.
    public static func applyRepetitionPenalty(_ logits: inout [Float], context: [Int32], penalty: Float) {
        guard penalty != 1 else { return }
        for id in Set(context) where Int(id) < logits.count && id >= 0 {
            let value = logits[Int(id)]
            logits[Int(id)] = value < 0 ? value * penalty : value / penalty
        }
    }

    /// The index of the largest logit (the first one on ties, as torch.argmax).
    public static func argmax(_ logits: [Float]) -> Int32 {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// Chooses the next token. `context` is every token so far (prompt + generated).
    public mutating func next(logits input: [Float], context: [Int32]) -> Int32 {
        var logits = input
        Self.applyRepetitionPenalty(&logits, context: context, penalty: parameters.repetitionPenalty)
        guard parameters.doSample else { return Self.argmax(logits) }
        if parameters.temperature != 1 { for i in logits.indices { logits[i] /= parameters.temperature } }
        Self.keepTopK(&logits, k: parameters.topK)
        Self.keepTopP(&logits, p: parameters.topP)
        return draw(softmax(logits))
    }

    /// HF `TopKLogitsWarper`: tokens below the k-th largest logit become −∞ (ties with it stay).
    static func keepTopK(_ logits: inout [Float], k: Int) {
        guard k > 0, k < logits.count else { return }
        let threshold = logits.sorted(by: >)[k - 1]
        for i in logits.indices where logits[i] < threshold { logits[i] = -.infinity }
    }

    /// HF `TopPLogitsWarper`: sort ascending, drop the tokens whose cumulative probability is
    /// ≤ 1 − p (always keeping the most likely one).
    static func keepTopP(_ logits: inout [Float], p: Float) {
        guard p < 1 else { return }
        let probabilities = softmax(logits)
        let order = logits.indices.sorted { logits[$0] < logits[$1] }
        var cumulative: Float = 0
        for (rank, index) in order.enumerated() where rank < order.count - 1 {
            cumulative += probabilities[index]
            if cumulative <= 1 - p { logits[index] = -.infinity }
        }
    }

    /// Draws an index with probability `probabilities[i]`.
    private mutating func draw(_ probabilities: [Float]) -> Int32 {
        let target = random.nextDouble() * probabilities.reduce(0) { $0 + Double($1) }
        var cumulative = 0.0
        var lastPossible = 0
        for (i, p) in probabilities.enumerated() where p > 0 {
            cumulative += Double(p)
            lastPossible = i
            if target < cumulative { return Int32(i) }
        }
        return Int32(lastPossible)
    }
}

/// Softmax of a logit vector, max-subtracted; −∞ entries get probability 0.
func softmax(_ logits: [Float]) -> [Float] {
    let maxValue = logits.max() ?? 0
    var out = logits.map { $0 == -.infinity ? 0 : expf($0 - maxValue) }
    let sum = out.reduce(0, +)
    for i in out.indices { out[i] /= sum }
    return out
}
