// The optimizers a recipe can name, by transformers' `optim` names, and the factory that builds one.
import Basics
import Compute

/// An optimizer choice, spelled as transformers' `TrainingArguments.optim`.
public enum OptimizerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `torch.optim.AdamW`.
    case adamwTorch = "adamw_torch"
    /// bitsandbytes 8-bit AdamW (`adamw_bnb_8bit` is transformers' other name for it).
    case adamw8bit = "adamw_8bit"
    /// bitsandbytes paged 8-bit AdamW.
    case pagedAdamw8bit = "paged_adamw_8bit"
    /// `torch.optim.SGD`.
    case sgd

    /// Parses a transformers name, accepting its aliases (`adamw_bnb_8bit`, `adamw_torch_fused`).
    /// Throws with the accepted names otherwise.
    public init(transformersName name: String) throws {
        switch name {
        case "adamw_bnb_8bit": self = .adamw8bit
        case "adamw_torch_fused": self = .adamwTorch  // same update; "fused" is a torch kernel choice
        default:
            guard let kind = OptimizerKind(rawValue: name) else {
                let names = OptimizerKind.allCases.map(\.rawValue) + ["adamw_bnb_8bit", "adamw_torch_fused"]
                throw RunnerError("optim", "unknown optimizer '\(name)'", hint: "use one of: \(names.joined(separator: ", "))")
            }
            self = kind
        }
    }

    /// Builds the optimizer over `parameters`: AdamW variants take `adam`, SGD takes `sgd`.
    public func make(parameters: [TrainableParameter], adam: AdamWHyperparameters = .init(),
                     sgd: SGDHyperparameters = .init(), backend: any OptimizerBackend) throws -> any Optimizer {
        switch self {
        case .adamwTorch: try AdamW(parameters: parameters, hyperparameters: adam, backend: backend)
        case .adamw8bit: try AdamW8bit(parameters: parameters, hyperparameters: adam, backend: backend)
        case .pagedAdamw8bit: try AdamW8bit(parameters: parameters, hyperparameters: adam, paged: true, backend: backend)
        case .sgd: try SGD(parameters: parameters, hyperparameters: sgd, backend: backend)
        }
    }
}
