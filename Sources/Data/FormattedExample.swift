// What a dataset record becomes before tokenization: raw text, a prompt–completion pair, or a
// conversation (chat messages with optional per-turn training flags).
import ChatTemplate

/// A record after prompt formatting; `Hashable` so exact duplicates can be dropped.
public enum FormattedExample: Hashable, Sendable {
    /// Plain text, trained on every token (an end-of-sequence token is appended).
    case text(String)
    /// A prompt and its completion (non-chat): the completion is what `loss_on: completion` trains.
    case promptCompletion(prompt: String, completion: String)
    /// Chat messages (`role`/`content` dicts) rendered with the tokenizer's chat template.
    case conversation([ChatMessage])
}

/// One chat turn: the message as the template sees it, and whether to train on it (`train:` in the
/// data; nil follows `loss_on`).
public struct ChatMessage: Hashable, Sendable {
    public var message: TemplateDictionary
    public var train: Bool?

    public init(role: String, content: String, train: Bool? = nil) {
        message = TemplateDictionary([("role", .string(role)), ("content", .string(content))])
        self.train = train
    }

    public init(message: TemplateDictionary, train: Bool?) {
        self.message = message
        self.train = train
    }

    public var role: String { if case .string(let role)? = message["role"] { role } else { "" } }
}
