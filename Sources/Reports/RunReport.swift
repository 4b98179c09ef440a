// What a run report shows, independent of where it came from: the run's facts, its stages, and the
// training curves, generations and evaluations its stages produced. Module Stages fills it from a
// run record and the cache; `HTMLReport` renders it.

/// Everything `report.html` shows about one `runner apply`.
public struct RunReport: Sendable {
    public var runID: String
    public var recipeName: String
    public var recipeFile: String
    /// `succeeded`, `failed`, `interrupted`.
    public var status: String
    public var error: String?
    public var startedAt: String
    public var seconds: Double?
    public var gitCommit: String?
    public var gitDirty: Bool
    public var toolVersion: String
    /// The process's peak resident set size over the run, in bytes.
    public var peakRSSBytes: Int?
    public var stages: [Stage]
    public var trainings: [Training]
    public var generations: [Generations]
    public var evaluations: [Evaluation]

    public init(runID: String, recipeName: String, recipeFile: String, status: String, error: String? = nil, startedAt: String,
                seconds: Double?, gitCommit: String? = nil, gitDirty: Bool = false, toolVersion: String, peakRSSBytes: Int? = nil,
                stages: [Stage], trainings: [Training] = [], generations: [Generations] = [], evaluations: [Evaluation] = []) {
        self.runID = runID
        self.recipeName = recipeName
        self.recipeFile = recipeFile
        self.status = status
        self.error = error
        self.startedAt = startedAt
        self.seconds = seconds
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.toolVersion = toolVersion
        self.peakRSSBytes = peakRSSBytes
        self.stages = stages
        self.trainings = trainings
        self.generations = generations
        self.evaluations = evaluations
    }

    /// One stage's row in the timing table.
    public struct Stage: Sendable {
        public var name: String
        public var kind: String
        /// `hit` (cached), `miss` (ran), `skipped`, `failed`, `interrupted`, `pending`.
        public var outcome: String
        /// Seconds this run spent on it (nil for cache hits and stages not reached).
        public var seconds: Double?
        /// For cache hits: how long it took when it was built.
        public var builtSeconds: Double?
        public var metrics: [String: Double]
        /// Process peak RSS when the stage finished.
        public var peakRSSBytes: Int?
        public var error: String?

        public init(name: String, kind: String, outcome: String, seconds: Double?, builtSeconds: Double? = nil,
                    metrics: [String: Double] = [:], peakRSSBytes: Int? = nil, error: String? = nil) {
            self.name = name
            self.kind = kind
            self.outcome = outcome
            self.seconds = seconds
            self.builtSeconds = builtSeconds
            self.metrics = metrics
            self.peakRSSBytes = peakRSSBytes
            self.error = error
        }
    }

    /// One train stage's curves (from its metrics.json).
    public struct Training: Sendable {
        public struct Step: Sendable {
            public var step: Int
            public var loss: Double
            public var learningRate: Double
            public var gradNorm: Double
            public init(step: Int, loss: Double, learningRate: Double, gradNorm: Double) {
                self.step = step
                self.loss = loss
                self.learningRate = learningRate
                self.gradNorm = gradNorm
            }
        }

        public var stage: String
        public var steps: [Step]
        /// (step, eval loss).
        public var evals: [(step: Int, loss: Double)]
        public var seconds: Double
        /// Real (non-padding) tokens trained on.
        public var tokens: Int
        /// When the stage's artifact was published (seconds since 1970), to place events in time.
        public var finishedAt: Double?

        public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }

        public init(stage: String, steps: [Step], evals: [(step: Int, loss: Double)], seconds: Double, tokens: Int, finishedAt: Double? = nil) {
            self.stage = stage
            self.steps = steps
            self.evals = evals
            self.seconds = seconds
            self.tokens = tokens
            self.finishedAt = finishedAt
        }
    }

    /// One generate stage's answers.
    public struct Generations: Sendable {
        public struct Item: Sendable {
            public var prompt: String
            public var completion: String
            public var newTokens: Int
            public var seconds: Double
            public init(prompt: String, completion: String, newTokens: Int, seconds: Double) {
                self.prompt = prompt
                self.completion = completion
                self.newTokens = newTokens
                self.seconds = seconds
            }
        }

        public var stage: String
        /// The stage that made the model it generated with (its `model` input).
        public var modelStage: String?
        public var items: [Item]

        public init(stage: String, modelStage: String?, items: [Item]) {
            self.stage = stage
            self.modelStage = modelStage
            self.items = items
        }
    }

    /// One eval stage's results (its eval.json).
    public struct Evaluation: Sendable {
        public var stage: String
        public var results: EvalResults

        public init(stage: String, results: EvalResults) {
            self.stage = stage
            self.results = results
        }
    }
}
