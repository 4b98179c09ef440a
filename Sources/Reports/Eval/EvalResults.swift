// `eval.json`, the eval stage's artifact: every held-out question with the model's (and the
// baseline's) answer and scores, and the aggregates. The HTML report reads it back.

/// A metric the eval stage can compute.
public enum EvalMetric: String, Codable, Sendable, CaseIterable {
    /// Share of required facts the answers contain (`FactMatcher`), over all facts of all questions.
    case factRecall = "fact_recall"
    /// Mean ROUGE-L F-measure of the answers against the reference answers (`RougeL`).
    case rougeL = "rouge_l"
}

/// One held-out question as read from the questions file.
public struct EvalQuestion: Codable, Equatable, Sendable {
    public var id: String?
    public var prompt: String
    /// The reference answer (needed for ROUGE-L).
    public var reference: String?
    /// Strings a correct answer must contain (needed for fact recall).
    public var facts: [String]?

    public init(id: String? = nil, prompt: String, reference: String? = nil, facts: [String]? = nil) {
        self.id = id
        self.prompt = prompt
        self.reference = reference
        self.facts = facts
    }
}

/// A generated answer before scoring.
public struct GeneratedAnswer: Sendable {
    public var text: String
    public var newTokens: Int
    public var stopReason: String
    public var seconds: Double

    public init(text: String, newTokens: Int, stopReason: String, seconds: Double) {
        self.text = text
        self.newTokens = newTokens
        self.stopReason = stopReason
        self.seconds = seconds
    }
}

/// One model's answer to one question, scored.
public struct ScoredAnswer: Codable, Equatable, Sendable {
    public var answer: String
    /// Present when fact recall was computed and the question has facts.
    public var factsHit: [String]?
    public var factsMissed: [String]?
    public var factRecall: Double?
    /// ROUGE-L F-measure; present when computed and the question has a reference.
    public var rougeL: Double?
    public var newTokens: Int
    public var stopReason: String
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case answer, seconds
        case factsHit = "facts_hit", factsMissed = "facts_missed", factRecall = "fact_recall", rougeL = "rouge_l"
        case newTokens = "new_tokens", stopReason = "stop_reason"
    }
}

/// A question with its answers.
public struct EvalItem: Codable, Equatable, Sendable {
    public var id: String?
    public var prompt: String
    public var reference: String?
    public var facts: [String]?
    public var model: ScoredAnswer
    public var baseline: ScoredAnswer?
}

/// One model's aggregates.
public struct EvalSummary: Codable, Equatable, Sendable {
    /// The recipe stage the model came from.
    public var stage: String
    public var questions: Int
    /// factsHit / factsTotal (nil when fact recall was not computed).
    public var factRecall: Double?
    public var factsHit: Int
    public var factsTotal: Int
    /// Mean per-question ROUGE-L F-measure over questions with a reference (nil when not computed).
    public var rougeL: Double?
    public var newTokens: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case stage, questions, seconds
        case factRecall = "fact_recall", factsHit = "facts_hit", factsTotal = "facts_total", rougeL = "rouge_l", newTokens = "new_tokens"
    }
}

/// Generation settings the answers were made with.
public struct EvalSettings: Codable, Equatable, Sendable {
    public var maxNewTokens: Int
    public var chat: Bool
    public var system: String?

    public init(maxNewTokens: Int, chat: Bool, system: String?) {
        self.maxNewTokens = maxNewTokens
        self.chat = chat
        self.system = system
    }

    enum CodingKeys: String, CodingKey { case chat, system, maxNewTokens = "max_new_tokens" }
}

/// The whole of `eval.json`.
public struct EvalResults: Codable, Equatable, Sendable {
    public static let fileName = "eval.json"

    /// The questions file as the recipe names it.
    public var questionsFile: String
    public var settings: EvalSettings
    public var metrics: [EvalMetric]
    public var model: EvalSummary
    public var baseline: EvalSummary?
    public var questions: [EvalItem]

    enum CodingKeys: String, CodingKey { case settings, metrics, model, baseline, questions, questionsFile = "questions_file" }
}
