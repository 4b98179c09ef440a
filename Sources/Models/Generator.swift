// Autoregressive generation: prefill the prompt, then one token at a time from the KV cache,
// streaming each token to a callback until EOS, a stop string, or max_new_tokens.
import Basics
import Compute

/// What to generate and when to stop.
public struct GenerationOptions {
    public var maxNewTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops after emitting one of these (the EOS token is included in the output).
    public var eosTokenIds: Set<Int32>
    /// Generation stops once the decoded continuation contains one of these.
    public var stopStrings: [String]
    /// Decodes generated token ids to text; required when `stopStrings` is not empty.
    public var decode: (([Int32]) -> String)?

    public init(maxNewTokens: Int, sampling: SamplingParameters = .greedy, eosTokenIds: Set<Int32> = [],
                stopStrings: [String] = [], decode: (([Int32]) -> String)? = nil) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.eosTokenIds = eosTokenIds
        self.stopStrings = stopStrings
        self.decode = decode
    }
}

/// Why generation ended.
public enum StopReason: Equatable, Sendable {
    case endOfSequence, stopString(String), maxNewTokens, cancelled
}

/// The tokens generated after the prompt and why generation stopped.
public struct GenerationResult: Equatable, Sendable {
    public var tokens: [Int32]
    public var stopReason: StopReason
}

extension LlamaModel {
    /// Generates a continuation of `prompt` (batch 1), starting from an empty KV cache.
    ///
    /// - Parameter onToken: called with each new token as soon as it is chosen; return false to stop.
    /// - Throws: when the prompt is empty, the options are invalid, or prompt + maxNewTokens
    ///   exceeds the model's `maxSequence`.
    public func generate(prompt: [Int32], options: GenerationOptions,
                         onToken: (Int32) -> Bool = { _ in true }) throws -> GenerationResult {
        guard !prompt.isEmpty else { throw RunnerError("generate", "the prompt is empty") }
        try options.sampling.validate()
        if !options.stopStrings.isEmpty && options.decode == nil {
            throw RunnerError("generate", "stop strings need a decode function", hint: "pass the tokenizer's decode")
        }
        guard prompt.count + options.maxNewTokens <= maxSequence else {
            throw RunnerError("generate", "prompt (\(prompt.count)) + max_new_tokens (\(options.maxNewTokens)) exceeds the planned sequence length \(maxSequence)")
        }
        resetCache()
        var sampler = Sampler(options.sampling)
        var context = prompt, generated: [Int32] = []
        var logits = try forward(tokens: prompt)                 // (1, V) for the last prompt position
        while generated.count < options.maxNewTokens {
            let next = sampler.next(logits: backend.readFloats(logits), context: context)
            generated.append(next)
            context.append(next)
            if !onToken(next) { return GenerationResult(tokens: generated, stopReason: .cancelled) }
            if options.eosTokenIds.contains(next) { return GenerationResult(tokens: generated, stopReason: .endOfSequence) }
            if let decode = options.decode, !options.stopStrings.isEmpty {
                let text = decode(generated)
                if let hit = options.stopStrings.first(where: { text.contains($0) }) {
                    return GenerationResult(tokens: generated, stopReason: .stopString(hit))
                }
            }
            if generated.count == options.maxNewTokens { break }
            logits = try forward(tokens: [next])
        }
        return GenerationResult(tokens: generated, stopReason: .maxNewTokens)
    }
}
