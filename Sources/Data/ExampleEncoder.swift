// Tokenizes formatted examples and decides which tokens are trained. Prompt–completion pairs follow
// TRL's SFT preprocessing exactly (EOS appended; the completion starts where the tokenized prompt and
// prompt+completion diverge); conversations render through the chat template, and assistant turns
// come from `{% generation %}` spans or, without markers, from rendering prefix by prefix.
import ChatTemplate
import Tokenizer

/// A tokenized example: ids and, per token, whether the loss is computed on it.
public struct TokenizedExample: Sendable, Equatable {
    public var ids: [Int32]
    public var trained: [Bool]

    public init(ids: [Int32], trained: [Bool]) {
        precondition(ids.count == trained.count)
        self.ids = ids
        self.trained = trained
    }

    /// Hugging Face labels: the id where trained, −100 elsewhere (not shifted).
    public var labels: [Int32] { zip(ids, trained).map { $1 ? $0 : ignoredLabel } }
    public var trainedCount: Int { trained.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// Why an example could not be encoded (the row is named by the caller).
public struct EncodingFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public var templateError: ChatTemplateError?
    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

/// Encodes examples with one tokenizer and chat template.
public struct ExampleEncoder: Sendable {
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    public let lossOn: LossTarget
    let bosToken: String?
    let eosToken: String?
    let templateHasGenerationMarkers: Bool

    public init(tokenizer: Tokenizer, chatTemplate: ChatTemplate?, lossOn: LossTarget) {
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.lossOn = lossOn
        bosToken = tokenizer.bosTokenId.flatMap(tokenizer.tokenPiece)
        eosToken = tokenizer.eosTokenId.flatMap(tokenizer.tokenPiece)
        templateHasGenerationMarkers = chatTemplate.map { Self.hasGenerationMarkers($0.source) } ?? false
    }

    /// Whether a template marks assistant text with `{% generation %}` (any whitespace/trim signs).
    static func hasGenerationMarkers(_ source: String) -> Bool {
        source.range(of: #"\{%-?\s*generation\s*-?%\}"#, options: .regularExpression) != nil
    }

    public func encode(_ example: FormattedExample) throws -> TokenizedExample {
        switch example {
        case .text(let text):
            let ids = tokenizer.encode(withEOS(text), addSpecialTokens: true)
            return TokenizedExample(ids: ids, trained: Array(repeating: true, count: ids.count))
        case .promptCompletion(let prompt, let completion):
            let promptIds = tokenizer.encode(prompt, addSpecialTokens: true)
            let ids = tokenizer.encode(prompt + withEOS(completion), addSpecialTokens: true)
            let promptLength = commonPrefixLength(promptIds, ids)
            return TokenizedExample(ids: ids, trained: ids.indices.map { lossOn == .all || $0 >= promptLength })
        case .conversation(let messages):
            return try encodeConversation(messages)
        }
    }

    /// TRL appends the EOS token to non-conversational text and completions that lack it.
    private func withEOS(_ text: String) -> String {
        guard let eosToken, !text.hasSuffix(eosToken) else { return text }
        return text + eosToken
    }

    private func render(_ messages: ArraySlice<ChatMessage>, generationPrompt: Bool) throws -> RenderedChat {
        guard let chatTemplate else {
            throw EncodingFailure(message: "the tokenizer has no chat template", hint: "use a model with a chat template, or a non-chat `format` without `use_chat_template`")
        }
        do {
            return try chatTemplate.render(messages: messages.map { .dict($0.message) }, addGenerationPrompt: generationPrompt,
                                           bosToken: bosToken, eosToken: eosToken)
        } catch let error as ChatTemplateError {
            throw EncodingFailure(message: "chat template: \(error.description)", templateError: error)
        }
    }

    private func encodeConversation(_ messages: [ChatMessage]) throws -> TokenizedExample {
        let full = try render(messages[...], generationPrompt: false)
        let ids = tokenizer.encode(full.text, addSpecialTokens: false)
        var trained = Array(repeating: lossOn == .all, count: ids.count)
        if lossOn == .all { return TokenizedExample(ids: ids, trained: trained) }

        // Text spans (UTF-8 offsets into full.text) to train.
        var spans: [Range<Int>] = []
        if lossOn == .completion {
            guard let last = messages.last, last.role == "assistant" else {
                throw EncodingFailure(message: "the conversation does not end with an assistant turn, so `loss_on: completion` has nothing to train",
                                      hint: "end each conversation with the assistant's answer, or use `loss_on: assistant`")
            }
            if last.train != false {
                // TRL: prompt = the conversation without its last turn, with the generation prompt.
                let promptIds = tokenizer.encode(try render(messages.dropLast(), generationPrompt: true).text, addSpecialTokens: false)
                let promptLength = commonPrefixLength(promptIds, ids)
                for index in promptLength..<ids.count { trained[index] = true }
            }
            for index in messages.indices.dropLast() where messages[index].train == true {
                spans.append(contentsOf: try prefixDiffSpan(messages, index, full: full.text))
            }
        } else if templateHasGenerationMarkers {
            let assistantTurns = messages.indices.filter { messages[$0].role == "assistant" }
            let flagsUsable = assistantTurns.count == full.generationSpans.count
            for (k, span) in full.generationSpans.enumerated() where !flagsUsable || messages[assistantTurns[k]].train != false {
                spans.append(span.utf8)
            }
            for index in messages.indices where messages[index].role != "assistant" && messages[index].train == true {
                spans.append(contentsOf: try prefixDiffSpan(messages, index, full: full.text))
            }
        } else {
            for index in messages.indices where messages[index].train ?? (messages[index].role == "assistant") {
                spans.append(contentsOf: try prefixDiffSpan(messages, index, full: full.text))
            }
        }
        if !spans.isEmpty {
            markTokens(&trained, tokenEnds: tokenEndOffsets(ids, text: full.text, tokenizer: tokenizer, addSpecialTokens: false), spans: spans)
        }
        return TokenizedExample(ids: ids, trained: trained)
    }

    /// The text message `index` adds to the rendered conversation: the render of the messages
    /// before it (with the generation prompt, for an assistant turn) against the render through it.
    /// An assistant span ends at its end-of-turn token: text a template adds after it (ChatML's
    /// newline) is never generated, so it is not trained.
    private func prefixDiffSpan(_ messages: [ChatMessage], _ index: Int, full: String) throws -> [Range<Int>] {
        let isAssistant = messages[index].role == "assistant"
        let before = Array(try render(messages[..<index], generationPrompt: isAssistant).text.utf8)
        let through = Array(try render(messages[...index], generationPrompt: false).text.utf8)
        let fullBytes = full.utf8
        guard through.count <= fullBytes.count, fullBytes.prefix(through.count).elementsEqual(through) else {
            throw EncodingFailure(message: "the chat template renders message \(index + 1) differently once later messages follow, so its tokens cannot be found by rendering prefix by prefix",
                                  hint: "use a template with `{% generation %}` markers, or `loss_on: completion` / `all`")
        }
        let start = commonPrefixLength(before, through)
        var end = through.count
        if isAssistant, let eos = eosToken, !eos.isEmpty, let cut = lastOccurrence(of: Array(eos.utf8), in: through, from: start) {
            end = cut
        }
        return start < end ? [start..<end] : []
    }
}

/// Length of the longest common prefix of two arrays.
func commonPrefixLength<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    var n = 0
    let limit = min(a.count, b.count)
    while n < limit && a[n] == b[n] { n += 1 }
    return n
}

/// The end offset of the last occurrence of `needle` in `haystack[from...]`.
private func lastOccurrence(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
    guard needle.count <= haystack.count - from else { return nil }
    var start = haystack.count - needle.count
    while start >= from {
        if haystack[start..<start + needle.count].elementsEqual(needle) { return start + needle.count }
        start -= 1
    }
    return nil
}
