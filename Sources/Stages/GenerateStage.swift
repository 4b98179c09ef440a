// The `generate` stage: answers the recipe's prompts with any model artifact (plain, quantized,
// with a trained or saved adapter — see InferenceModel) and records them (generations.json),
// logging each answer as it completes.
import Basics
import CPUBackend
import Foundation
import Models
import Pipeline

struct GenerateStage: StageImplementation {
    static let kind = "generate"
    static let version = 1

    func run(_ context: StageContext) throws -> StageResult {
        let model = try InferenceModel.open(try context.input("model"), stageName: context.stage.name)
        let bundle = model.bundle
        context.log(model.summary)
        let prompts = try context.strings("prompts")
        let format = PromptFormat(chat: try context.bool("chat"), system: try context.optionalString("system"))
        let settings = SamplingSettings(
            maxNewTokens: try context.int("max_new_tokens"), temperature: try context.double("temperature"),
            topK: try context.optionalInt("top_k"), topP: try context.optionalDouble("top_p"),
            repetitionPenalty: try context.double("repetition_penalty"),
            seed: UInt64(bitPattern: Int64(try context.int("seed"))))

        let tokenized = try prompts.map { try format.tokens(for: $0, bundle: bundle) }
        let longest = tokenized.map { $0.count }.max() ?? 0
        let generator = try TextGenerator(model: model, backend: CPUBackend(), maxSequence: longest + settings.maxNewTokens)
        context.progress.start(total: prompts.count, unit: "prompts")
        var generations: [Generation] = []
        for (prompt, tokens) in zip(prompts, tokenized) {
            try context.checkCancellation()
            let answer = try generator.generate(prompt: prompt, promptTokens: tokens, settings: settings,
                                                shouldContinue: { !context.isCancelled })
            try context.checkCancellation()
            context.log("Q: \(prompt)\nA: \(answer.completion.trimmingCharacters(in: .whitespacesAndNewlines))")
            generations.append(answer)
            context.progress.advance()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(generations), to: context.outputDirectory.appendingPathComponent("generations.json"))
        let newTokens = generations.reduce(0) { $0 + $1.newTokens }
        let seconds = generations.reduce(0) { $0 + $1.seconds }
        return StageResult(metrics: ["prompts": Double(prompts.count), "new_tokens": Double(newTokens),
                                     "tokens_per_second": seconds > 0 ? Double(newTokens) / seconds : 0],
                           primaryFile: "generations.json")
    }
}
