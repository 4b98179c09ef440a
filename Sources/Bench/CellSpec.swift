// The contract between `runner bench` and a side: the cell spec it writes as JSON (what to train,
// on which token batches, from which initial adapter) and the one-line JSON result a side prints.
// bench/train/peft_cell.py reads and writes the same fields.
import Foundation

/// Everything a side needs to train one cell. Paths are absolute.
public struct CellSpec: Codable, Equatable, Sendable {
    public var model: String
    /// Little-endian int32 token ids, (warmup_steps + steps, batch, seq_len); labels are the tokens.
    public var batchesFile: String
    public var cell: BenchCell
    public var loraAlpha: Double
    public var steps: Int
    public var warmupSteps: Int
    public var learningRate: Double
    public var maxGradNorm: Double
    public var seed: UInt64
    /// The LoRA adapter every side starts from (PEFT names, safetensors; B = 0); nil for full fine-tuning.
    public var initialAdapter: String?

    enum CodingKeys: String, CodingKey {
        case model, batchesFile = "batches_file", cell, loraAlpha = "lora_alpha", steps, warmupSteps = "warmup_steps"
        case learningRate = "learning_rate", maxGradNorm = "max_grad_norm", seed, initialAdapter = "initial_adapter"
    }

    public init(model: String, batchesFile: String, cell: BenchCell, loraAlpha: Double, steps: Int, warmupSteps: Int,
                learningRate: Double, maxGradNorm: Double, seed: UInt64, initialAdapter: String?) {
        self.model = model
        self.batchesFile = batchesFile
        self.cell = cell
        self.loraAlpha = loraAlpha
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.learningRate = learningRate
        self.maxGradNorm = maxGradNorm
        self.seed = seed
        self.initialAdapter = initialAdapter
    }

    public static func read(_ url: URL) throws -> CellSpec {
        try JSONDecoder().decode(CellSpec.self, from: Data(contentsOf: url))
    }
}

/// What a side prints (the last line of its stdout that parses): timings of the timed steps, every
/// optimizer step's loss, and what the side reports about itself.
public struct CellOutcome: Codable, Equatable, Sendable {
    /// Seconds of each timed optimizer step (forward + backward + clipping + AdamW).
    public var stepSeconds: [Double]
    /// The loss of every step, warm-up included (each computed before that step's update).
    public var losses: [Double]
    public var trainableParameters: Int
    /// Compute threads the side used.
    public var threads: Int
    /// Free-form facts (library versions, kernels).
    public var notes: [String: String]

    enum CodingKeys: String, CodingKey {
        case stepSeconds = "step_seconds", losses, trainableParameters = "trainable_parameters", threads, notes
    }

    public init(stepSeconds: [Double], losses: [Double], trainableParameters: Int, threads: Int, notes: [String: String] = [:]) {
        self.stepSeconds = stepSeconds
        self.losses = losses
        self.trainableParameters = trainableParameters
        self.threads = threads
        self.notes = notes
    }

    /// The loss of the last optimizer step.
    public var finalLoss: Double? { losses.last }

    /// Tokens per second of a step of `tokens` tokens, at the median timed step.
    public func tokensPerSecond(tokensPerStep tokens: Int) -> Double? {
        Statistics.median(stepSeconds).map { Double(tokens) / $0 }
    }

    /// Parses the last stdout line that decodes as an outcome.
    public static func parse(stdout: String) -> CellOutcome? {
        for line in stdout.split(separator: "\n").reversed() {
            if let outcome = try? JSONDecoder().decode(CellOutcome.self, from: Data(line.utf8)) { return outcome }
        }
        return nil
    }
}
