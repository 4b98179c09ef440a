// Prompt → tokens → generated text, shared by the `generate` stage and `runner generate`:
// the chat template (when asked for and available), sampling settings, and streaming decode.
import Basics
import ChatTemplate
import Foundation
import Models
import Tokenizer
import Compute

/// How to turn a user's prompt into the token ids the model sees.
public struct PromptFormat: Sendable {
    /// Wrap the prompt in the model's chat template (as a user turn, with the generation prompt).
    public var chat: Bool
    /// A system turn before the user's, when `chat` is on.
    public var system: String?

    public init(chat: Bool, system: String? = nil) {
        self.chat = chat
        self.system = system
    }

    /// The token ids for `prompt`. With `chat`, the template decides about BOS (as transformers'
    /// `apply_chat_template` tokenizes without adding special tokens); without, the tokenizer adds them.
    ///
    /// - Throws: `RunnerError` when `chat` is asked for but the model ships no template, or the
    ///   template fails (its message and line:col).
    public func tokens(for prompt: String, bundle: ModelBundle) throws -> [Int32] {
        guard chat else { return bundle.tokenizer.encode(prompt, addSpecialTokens: true) }
        guard let source = bundle.chatTemplate else {
            throw RunnerError(bundle.location.path, "the model has no chat template",
                              hint: "turn chat off (`chat: false`, or `runner generate` without --chat)")
        }
        let template = try ChatTemplate(source: source)
        var messages: [[String: TemplateValue]] = []
        if let system { messages.append(["role": .string("system"), "content": .string(system)]) }
        messages.append(["role": .string("user"), "content": .string(prompt)])
        let tokenizer = bundle.tokenizer
        let rendered = try template.render(messages: messages, addGenerationPrompt: true,
                                           bosToken: tokenizer.bosTokenId.flatMap(tokenizer.tokenPiece),
                                           eosToken: tokenizer.eosTokenId.flatMap(tokenizer.tokenPiece))
        return tokenizer.encode(rendered.text, addSpecialTokens: false)
    }
}

/// Sampling settings in the recipe's and CLI's terms (temperature 0 = greedy).
public struct SamplingSettings: Sendable {
    public var maxNewTokens: Int
    public var temperature: Double
    public var topK: Int?
    public var topP: Double?
    public var repetitionPenalty: Double
    public var seed: UInt64
    public var stopStrings: [String]

    public init(maxNewTokens: Int, temperature: Double = 0, topK: Int? = nil, topP: Double? = nil,
                repetitionPenalty: Double = 1, seed: UInt64 = 0, stopStrings: [String] = []) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
        self.stopStrings = stopStrings
    }

    /// The model's generation options. Unset top-k/top-p are off (not transformers' implicit top_k=50):
    /// what the recipe says is what runs.
    func options(eos: Set<Int32>, tokenizer: Tokenizer) -> GenerationOptions {
        let sampling = SamplingParameters(doSample: temperature > 0, temperature: temperature > 0 ? Float(temperature) : 1,
                                          topK: topK ?? 0, topP: Float(topP ?? 1),
                                          repetitionPenalty: Float(repetitionPenalty), seed: seed)
        return GenerationOptions(maxNewTokens: maxNewTokens, sampling: sampling, eosTokenIds: eos, stopStrings: stopStrings,
                                 decode: { tokenizer.decode($0, skipSpecialTokens: true) })
    }
}

/// Decodes a growing token list into text deltas, holding back an incomplete UTF-8 sequence
/// (decoded as U+FFFD) until the token that completes it arrives.
public struct StreamingDecoder {
    private let tokenizer: Tokenizer
    private var tokens: [Int32] = []
    private var emitted = ""

    public init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    /// Adds a token; returns the newly completed text (possibly empty).
    public mutating func append(_ token: Int32) -> String {
        tokens.append(token)
        let text = tokenizer.decode(tokens, skipSpecialTokens: true)
        guard !text.hasSuffix("\u{FFFD}"), text.hasPrefix(emitted) else { return "" }
        let delta = String(text.dropFirst(emitted.count))
        emitted = text
        return delta
    }
}

/// One generated answer.
public struct Generation: Codable, Sendable {
    public var prompt: String
    public var completion: String
    public var promptTokens: Int
    public var newTokens: Int
    public var stopReason: String
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case prompt, completion, seconds
        case promptTokens = "prompt_tokens", newTokens = "new_tokens", stopReason = "stop_reason"
    }
}

extension StopReason {
    var label: String {
        switch self {
        case .endOfSequence: "eos"
        case .maxNewTokens: "max_new_tokens"
        case .stopString(let s): "stop_string:\(s)"
        case .cancelled: "cancelled"
        }
    }
}

/// A loaded model ready to answer prompts, one after another, with one KV cache.
public final class TextGenerator {
    public let bundle: ModelBundle
    private let model: LlamaModel

    /// Loads `bundle`'s weights on `backend`, with room for `maxSequence` tokens (prompt + answer).
    public init(bundle: ModelBundle, backend: any Backend, maxSequence: Int) throws {
        self.bundle = bundle
        self.model = try bundle.loadModel(backend: backend, maxSequence: maxSequence)
    }

    /// Loads `model` (base plus any adapter, see `InferenceModel.open`) on `backend`, with room for
    /// `maxSequence` tokens (prompt + answer).
    public init(model: InferenceModel, backend: any Backend, maxSequence: Int) throws {
        self.bundle = model.bundle
        self.model = try model.loadModel(backend: backend, maxSequence: maxSequence)
    }

    /// The longest sequence the generator was planned for.
    public var maxSequence: Int { model.maxSequence }

    /// Generates an answer to `promptTokens`, streaming text deltas to `onText`.
    public func generate(prompt: String, promptTokens: [Int32], settings: SamplingSettings,
                         shouldContinue: () -> Bool = { true }, onText: (String) -> Void = { _ in }) throws -> Generation {
        let started = Date()
        var decoder = StreamingDecoder(tokenizer: bundle.tokenizer)
        let options = settings.options(eos: bundle.eosTokenIds, tokenizer: bundle.tokenizer)
        let result = try model.generate(prompt: promptTokens, options: options) { token in
            onText(decoder.append(token))
            return shouldContinue()
        }
        return Generation(prompt: prompt, completion: bundle.tokenizer.decode(result.tokens, skipSpecialTokens: true),
                          promptTokens: promptTokens.count, newTokens: result.tokens.count,
                          stopReason: result.stopReason.label, seconds: Date().timeIntervalSince(started))
    }
}
