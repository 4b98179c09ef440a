// The `eval` stage: answers held-out questions with the `model` input (and the optional `baseline`,
// the same way), greedy, then scores the answers (fact recall, ROUGE-L) into eval.json.
import Basics
import CPUBackend
import Foundation
import Models
import Pipeline
import Reports

struct EvalStage: StageImplementation {
    static let kind = "eval"
    static let version = 1

    func run(_ context: StageContext) throws -> StageResult {
        let metrics = try context.strings("metrics").map { name in
            guard let metric = EvalMetric(rawValue: name) else {
                throw RunnerError("stage `\(context.stage.name)`", "unknown metric `\(name)`", hint: "use fact_recall or rouge_l")
            }
            return metric
        }
        let url = try context.inputFile("path")
        let displayPath = Self.display(url, relativeTo: context.projectDirectory)
        let questions = try EvalQuestionsFile.read(url, displayPath: displayPath, metrics: metrics, limit: try context.optionalInt("max_samples"))
        let settings = EvalSettings(maxNewTokens: try context.int("max_new_tokens"), chat: try context.bool("chat"),
                                    system: try context.optionalString("system"))

        let model = try context.input("model")
        let baseline = context.inputs["baseline"]
        context.progress.start(total: questions.count * (baseline == nil ? 1 : 2), unit: "answers")
        var baselineAnswers: (stage: String, answers: [GeneratedAnswer])?
        if let baseline {
            baselineAnswers = (baseline.stageName, try answers(questions, with: baseline, role: "baseline", settings: settings, context: context))
        }
        let modelAnswers = (model.stageName, try answers(questions, with: model, role: "model", settings: settings, context: context))

        let results = EvalScorer.results(questionsFile: displayPath, settings: settings, metrics: metrics, questions: questions,
                                         model: modelAnswers, baseline: baselineAnswers)
        for line in Self.summary(results) { context.log(line) }
        try StageJSON.write(results, to: context.outputDirectory.appendingPathComponent(EvalResults.fileName))
        return StageResult(metrics: EvalScorer.metrics(of: results), primaryFile: EvalResults.fileName)
    }

    /// Greedy answers of one model to every question, logged as they complete.
    private func answers(_ questions: [EvalQuestion], with input: InputArtifact, role: String, settings: EvalSettings,
                         context: StageContext) throws -> [GeneratedAnswer] {
        let format = PromptFormat(chat: settings.chat, system: settings.system)
        var tokenized: [[Int32]] = []
        let generator = try Self.textGenerator(for: input, role: role, stageName: context.stage.name) { bundle in
            tokenized = try questions.map { try format.tokens(for: $0.prompt, bundle: bundle) }
            return (tokenized.map(\.count).max() ?? 0) + settings.maxNewTokens
        }
        let sampling = SamplingSettings(maxNewTokens: settings.maxNewTokens)  // temperature 0: greedy
        var answers: [GeneratedAnswer] = []
        for (question, tokens) in zip(questions, tokenized) {
            try context.checkCancellation()
            let generation = try generator.generate(prompt: question.prompt, promptTokens: tokens, settings: sampling,
                                                    shouldContinue: { !context.isCancelled })
            try context.checkCancellation()
            let text = generation.completion.trimmingCharacters(in: .whitespacesAndNewlines)
            context.log("[\(role) \(input.stageName)] Q: \(question.prompt)\nA: \(text)")
            answers.append(GeneratedAnswer(text: text, newTokens: generation.newTokens, stopReason: generation.stopReason, seconds: generation.seconds))
            context.progress.advance()
        }
        return answers
    }

    /// Model input → text generator: any model artifact `InferenceModel` opens (a loaded or merged
    /// model, a full fine-tune, an adapter applied to its base). `maxSequence` gets the opened
    /// bundle (for its tokenizer and template) and returns the longest sequence the generator must hold.
    private static func textGenerator(for input: InputArtifact, role: String, stageName: String,
                                      maxSequence: (ModelBundle) throws -> Int) throws -> TextGenerator {
        let model = try InferenceModel.open(input, stageName: stageName)
        return try TextGenerator(model: model, backend: CPUBackend(), maxSequence: try maxSequence(model.bundle))
    }

    /// `url`'s path relative to the recipe's directory when inside it (for messages and eval.json).
    static func display(_ url: URL, relativeTo directory: URL) -> String {
        let base = directory.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }

    /// Log lines with the aggregates.
    static func summary(_ results: EvalResults) -> [String] {
        func line(_ s: EvalSummary, _ label: String) -> String {
            var parts = ["\(label) `\(s.stage)`:"]
            if let f = s.factRecall { parts.append(String(format: "fact recall %.1f%% (%d/%d)", f * 100, s.factsHit, s.factsTotal)) }
            if let r = s.rougeL { parts.append(String(format: "ROUGE-L %.3f", r)) }
            return parts.joined(separator: " ")
        }
        return [results.baseline.map { line($0, "baseline") }, line(results.model, "model")].compactMap { $0 }
    }
}
