// What to train: LoRA adapters (rank, alpha, dropout, target modules, rsLoRA, DoRA, init,
// modules_to_save) or every parameter (full fine-tuning). Mirrors PEFT's `LoraConfig` so recipes read the same.
import Basics
import Foundation

/// The seven Linear layers of a Llama-family block, by their PEFT/transformers module names.
public enum LinearModule: String, CaseIterable, Sendable {
    case q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj

    /// `self_attn` or `mlp`: where the module sits in `model.layers.N.<parent>.<name>`.
    public var parent: String {
        switch self {
        case .q_proj, .k_proj, .v_proj, .o_proj: "self_attn"
        case .gate_proj, .up_proj, .down_proj: "mlp"
        }
    }

    /// The module's full transformers name in layer `layer`.
    public func path(layer: Int) -> String { "model.layers.\(layer).\(parent).\(rawValue)" }
}

/// Which Linear layers get adapters.
public enum LoraTargets: Sendable, Equatable {
    /// Every Linear layer except the LM head (PEFT's `all-linear`).
    case allLinear
    /// Modules whose name equals or ends with one of these (`q_proj`, `model.layers.0.mlp.up_proj`).
    case names([String])
}

/// How LoRA A is initialized (B always starts at zero, so the adapted model equals the base).
public enum LoraInitialization: String, Sendable, Equatable {
    /// PEFT's default: `kaiming_uniform_(A, a=√5)`, i.e. uniform in ±1/√in.
    case kaimingUniform
    /// PEFT's `"gaussian"`: A ~ N(0, (1/r)²).
    case gaussian
}

/// LoRA hyperparameters, as PEFT's `LoraConfig` (bias is always "none").
public struct LoraConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    /// Dropout probability on the adapter's input path (0 disables it).
    public var dropout: Float
    public var targets: LoraTargets
    /// rsLoRA: scale by alpha/√r instead of alpha/r.
    public var useRSLoRA: Bool
    public var initialization: LoraInitialization
    /// Seeds adapter init (per module name, so order-independent) and dropout masks.
    public var seed: UInt64
    /// Modules trained in full as a separate copy: `lm_head` and/or `embed_tokens`.
    public var modulesToSave: [String]
    /// DoRA (PEFT's `use_dora`): each adapted Linear also trains a magnitude vector m (out), and its
    /// weight becomes (m / ‖W + s·B·A‖) · (W + s·B·A), the norm taken per output row and not differentiated.
    public var useDora: Bool

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0, targets: LoraTargets = .allLinear,
                useRSLoRA: Bool = false, initialization: LoraInitialization = .kaimingUniform, seed: UInt64 = 0,
                modulesToSave: [String] = [], useDora: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.useRSLoRA = useRSLoRA
        self.initialization = initialization
        self.seed = seed
        self.modulesToSave = modulesToSave
        self.useDora = useDora
    }

    /// The factor on the adapter path: alpha/r, or alpha/√r with rsLoRA.
    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// The modules of a `layerCount`-layer model that get adapters, in model order.
    /// - Throws: when a named target matches no module, or a setting is out of range.
    public func resolveTargets(layerCount: Int) throws -> [(layer: Int, module: LinearModule)] {
        guard rank > 0 else { throw RunnerError("lora.r", "must be a positive integer, got \(rank)") }
        guard alpha > 0 else { throw RunnerError("lora.alpha", "must be positive, got \(alpha)") }
        guard dropout >= 0 && dropout < 1 else { throw RunnerError("lora.dropout", "must be in [0, 1), got \(dropout)") }
        for module in modulesToSave where !["lm_head", "embed_tokens"].contains(module) {
            throw RunnerError("lora.modules_to_save", "`\(module)` cannot be trained in full",
                              hint: "supported: lm_head, embed_tokens")
        }
        let all = (0..<layerCount).flatMap { layer in LinearModule.allCases.map { (layer: layer, module: $0) } }
        switch targets {
        case .allLinear:
            return all
        case .names(let names):
            guard !names.isEmpty else {
                throw RunnerError("lora.target_modules", "is empty", hint: "name modules (q_proj, v_proj, …) or use all-linear")
            }
            for name in names {
                if useDora, let module = ["embed_tokens", "lm_head"].first(where: { Self.matches($0, name) }) {
                    throw RunnerError("lora.target_modules", "`\(name)`: DoRA applies to Linear layers only, and `\(module)` is "
                                      + (module == "embed_tokens" ? "an embedding" : "the output head"),
                                      hint: "PEFT also has DoRA for Embedding and Conv layers; runner supports it on Linear layers "
                                      + "(q_proj … down_proj): remove `\(name)` from target_modules (train it in full with modules_to_save)")
                }
                if name == "lm_head" || name.hasSuffix(".lm_head") {
                    throw RunnerError("lora.target_modules", "`lm_head` cannot take an adapter",
                                      hint: "train it in full with modules_to_save: [lm_head]")
                }
                if !all.contains(where: { Self.matches(name, $0.module.path(layer: $0.layer)) }) {
                    throw RunnerError("lora.target_modules", "`\(name)` matches no module of the model",
                                      hint: "modules: \(LinearModule.allCases.map(\.rawValue).joined(separator: ", ")) (or all-linear)")
                }
            }
            return all.filter { target in names.contains { Self.matches($0, target.module.path(layer: target.layer)) } }
        }
    }

    /// PEFT's rule: a target matches a module whose full name equals it or ends with `.target`.
    static func matches(_ target: String, _ path: String) -> Bool {
        path == target || path.hasSuffix("." + target)
    }
}

/// What a `TrainableModel` trains.
public enum TrainingMode: Sendable, Equatable {
    /// LoRA adapters (plus `modulesToSave`); the base stays frozen and gets no gradient buffers.
    case lora(LoraConfig)
    /// Full fine-tuning: every parameter trainable, kept as f32 master weights.
    case full
}
