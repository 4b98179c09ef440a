// Support for the resume tests: a tiny-model fine-tuning project (Tests/ModelsTests/Fixtures/tiny,
// a one-token-per-byte tokenizer, 16 prompt/completion rows), applied through the real executor
// with the built-in stages, optionally interrupted after a given training step.
import Foundation
import Pipeline
import Recipe
import Stages
import RunnerTestSupport
import Testing

enum ResumeSupport {
    /// A LoRA (or QLoRA) fine-tune of 20 steps with dropout, evaluation every 5 steps and a
    /// checkpoint every `saveEvery` steps. `modules_to_save: [embed_tokens]` gives the optimizer one
    /// tensor of 16 384 elements, large enough for 8-bit states.
    static func recipe(optimizer: String, qlora: Bool, learningRate: Double = 0.01, saveEvery: Int = 5) -> String {
        """
        version: 1
        name: tiny-resume
        seed: 11
        stages:
          base: {kind: load, path: model, dtype: f32}
        \(qlora ? "  quant: {kind: quantize, from: base}\n" : "")\
          adapters: {kind: lora, from: \(qlora ? "quant" : "base"), r: 4, alpha: 8, dropout: 0.2, modules_to_save: [embed_tokens]}
          data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64, eval_split: 0.25}
          tune: {kind: train, model: adapters, data: data, max_steps: 20, batch_size: 2, gradient_accumulation: 2,
                 learning_rate: \(learningRate), optimizer: \(optimizer), scheduler: cosine, warmup_steps: 2,
                 eval_every: 5, save_every: \(saveEvery)}
        """
    }

    /// A fresh project directory with the model, tokenizer, data and `recipe`.
    static func project(_ recipe: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runner-resume-\(UUID().uuidString.prefix(8))")
        try TinyModelFixture.writeModel(to: root.appendingPathComponent("model"))
        try Data(TinyModelFixture.colorsJSONL(sayRepeats: 3).utf8).write(to: root.appendingPathComponent("data.jsonl"))
        try Data(recipe.utf8).write(to: root.appendingPathComponent("recipe.yaml"))
        return root
    }

    /// Log lines of the `tune` stage; cancels the run once `tune` has completed `cancelAfter` steps.
    final class Observer: ExecutionObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var logLines: [String] = []
        let cancellation = CancellationFlag()
        let cancelAfter: Int?

        init(cancelAfter: Int?) { self.cancelAfter = cancelAfter }

        func handle(_ event: ExecutionEvent) {
            switch event {
            case .log("tune", let message), .stageFailed("tune", let message):
                lock.lock()
                logLines.append(message)
                lock.unlock()
            case .progress("tune", let completed, _, _):
                if let cancelAfter, completed >= cancelAfter { cancellation.cancel() }
            default: break
            }
        }

        var lines: [String] { lock.lock(); defer { lock.unlock() }; return logLines }
    }

    /// Applies the project's recipe with the built-in stages into `cache`.
    static func apply(_ project: URL, cache: URL, cancelAfter: Int? = nil) throws -> (record: RunRecord, log: [String]) {
        let observer = Observer(cancelAfter: cancelAfter)
        let recipe = try RecipeLoader.compile(file: project.appendingPathComponent("recipe.yaml"))
        let executor = Executor(store: ArtifactStore(root: cache), registry: Stages.builtinRegistry, observer: observer,
                                cancellation: observer.cancellation)
        return (try executor.apply(recipe), observer.lines)
    }

    /// `tune`'s cache key as planned (nothing runs).
    static func plannedKey(_ project: URL, cache: URL) throws -> String {
        let recipe = try RecipeLoader.compile(file: project.appendingPathComponent("recipe.yaml"))
        let plan = try Executor(store: ArtifactStore(root: cache), registry: Stages.builtinRegistry).plan(recipe)
        return try #require(plan.stage(named: "tune")?.key)
    }

    /// `tune`'s checkpoint directory in `cache` (by its cache key in `record`).
    static func checkpoints(_ record: RunRecord, cache: URL) throws -> URL {
        let key = try #require(record.stage(named: "tune")?.key)
        return ArtifactStore(root: cache).checkpointDirectory(for: key)
    }

    /// The published `tune` artifact's directory.
    static func artifact(_ record: RunRecord, cache: URL) throws -> URL {
        let key = try #require(record.stage(named: "tune")?.key)
        return try #require(ArtifactStore(root: cache).lookup(key)).data
    }

    /// The names in a checkpoints directory, sorted.
    static func entries(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }
}

/// `metrics.json` of the train artifact, with losses kept as exact bit patterns.
struct ResumeMetrics: Decodable, Equatable {
    struct Step: Decodable, Equatable {
        var step: Int
        var loss: Double
        var learning_rate: Double
        var grad_norm: Double
        var target_tokens: Int
    }
    struct Eval: Decodable, Equatable {
        var step: Int
        var loss: Double
    }
    var steps: [Step]
    var eval: [Eval]
    var tokens: Int

    init(_ artifact: URL) throws {
        self = try JSONDecoder().decode(ResumeMetrics.self, from: Data(contentsOf: artifact.appendingPathComponent("metrics.json")))
    }

    /// Every loss, learning rate, gradient norm and eval loss as bit patterns (== on Double would
    /// accept -0 for 0; these must be the very same numbers).
    var bits: [UInt64] {
        steps.flatMap { [$0.loss.bitPattern, $0.learning_rate.bitPattern, $0.grad_norm.bitPattern, UInt64($0.target_tokens)] }
            + eval.flatMap { [UInt64($0.step), $0.loss.bitPattern] } + [UInt64(tokens)]
    }
}
