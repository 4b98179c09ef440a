// Which tokens the loss is computed on (the `loss_on` param), and the label value for the rest.

/// `loss_on`: the completion (everything after the prompt, as TRL's `completion_only_loss`), every
/// token, or the assistant turns of a conversation (TRL's `assistant_only_loss`).
public enum LossTarget: String, Sendable, CaseIterable {
    case completion
    case all
    case assistant
}

/// The label of a token the loss ignores (PyTorch's `ignore_index`).
public let ignoredLabel: Int32 = -100
