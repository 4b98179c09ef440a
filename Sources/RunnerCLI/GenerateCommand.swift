// `runner generate`: answers one prompt with a model (GGUF file, HF directory or load artifact),
// optionally with a PEFT LoRA adapter merged in, streaming the text as it is generated.
import ArgumentParser
import Basics
import CPUBackend
import Foundation
import Models
import Pipeline
import Stages

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a model.",
        discussion: "MODEL is a .gguf file, a Hugging Face directory, or a `load` stage's output; --adapter adds a LoRA adapter "
            + "(a directory with adapter_config.json and adapter_model.safetensors, from PEFT or runner's save stage). "
            + "--temperature 0 (the default) is greedy.")

    @Option(name: .long, help: "The model: a .gguf file or a model directory.")
    var model: String

    @Option(name: .long, help: "A PEFT LoRA adapter directory to apply to the model (merged into its weights).")
    var adapter: String?

    @Option(name: .long, help: "The prompt.")
    var prompt: String

    @Flag(name: .long, help: "Wrap the prompt in the model's chat template as a user turn.")
    var chat = false

    @Option(name: .long, help: "A system message before the prompt (implies --chat).")
    var system: String?

    @Option(name: .customLong("max-new-tokens"), help: "Most tokens to generate.")
    var maxNewTokens = 128

    @Option(name: .long, help: "Sampling temperature; 0 is greedy.")
    var temperature = 0.0

    @Option(name: .customLong("top-k"), help: "Sample from the k most likely tokens only.")
    var topK: Int?

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: the smallest set of tokens with this much probability.")
    var topP: Double?

    @Option(name: .customLong("repetition-penalty"), help: "Penalty (> 1) on tokens already in the context.")
    var repetitionPenalty = 1.0

    @Option(name: .long, help: "Seed for sampling.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Stop when the text contains this string (repeatable).")
    var stop: [String] = []

    func validate() throws {
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be ≥ 1") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be ≥ 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        guard repetitionPenalty > 0 else { throw ValidationError("--repetition-penalty must be > 0") }
    }

    func run() throws {
        let inference = try InferenceModel.open(model: URL(fileURLWithPath: model), adapter: adapter.map { URL(fileURLWithPath: $0) })
        let bundle = inference.bundle
        let format = PromptFormat(chat: chat || system != nil, system: system)
        let tokens = try format.tokens(for: prompt, bundle: bundle)
        let settings = SamplingSettings(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP,
                                        repetitionPenalty: repetitionPenalty, seed: seed, stopStrings: stop)
        let generator = try TextGenerator(model: inference, backend: CPUBackend(), maxSequence: tokens.count + maxNewTokens)
        let cancellation = CancellationFlag()
        let trap = SignalTrap(cancellation: cancellation)
        defer { trap.uninstall() }
        let answer = try generator.generate(prompt: prompt, promptTokens: tokens, settings: settings,
                                            shouldContinue: { !cancellation.isCancelled }) { Console.raw($0) }
        Console.raw("\n")
        let rate = answer.seconds > 0 ? Double(answer.newTokens) / answer.seconds : 0
        Console.error(String(format: "[%d prompt tokens, %d new tokens, %.1f tokens/s, stop: %@]",
                             answer.promptTokens, answer.newTokens, rate, answer.stopReason))
        if cancellation.isCancelled { throw ExitStatus.interrupted }
    }
}
