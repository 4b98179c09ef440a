// A tensor the optimizer updates: its value, its gradient, and whether weight decay applies to it
// (transformers' parameter groups: biases and norm weights are not decayed).
import Compute

/// One trainable tensor as the optimizer sees it. Both tensors are contiguous f32 of equal shape
/// on the optimizer's backend; the optimizer updates `value` in place from `gradient`.
public struct TrainableParameter {
    /// Unique name (e.g. `model.layers.0.self_attn.q_proj.lora_A.weight`); keys the optimizer state.
    public let name: String
    public let value: Tensor
    public let gradient: Tensor
    /// Whether weight decay applies (transformers' "decay" group).
    public let decays: Bool

    public init(name: String, value: Tensor, gradient: Tensor, decays: Bool) {
        precondition(value.dtype == .f32 && gradient.dtype == .f32 && value.shape == gradient.shape,
                     "parameter \(name): value \(value) and gradient \(gradient) must be f32 of one shape")
        self.name = name
        self.value = value
        self.gradient = gradient
        self.decays = decays
    }

    /// Names with decay on, parameters as `TrainableParameter(..., decays: TrainableParameter.transformersDecays(name))`.
    /// transformers (`Trainer.get_decay_parameter_names`) leaves out every name whose lowercase form
    /// contains `bias`, `layernorm` or `rmsnorm`, has a dotted component `norm`, or a component ending
    /// in `_norm` (so `input_layernorm.weight` and `model.norm.weight` are not decayed, `lm_head.weight` is).
    public static func transformersDecays(_ name: String) -> Bool {
        let lower = name.lowercased()
        if lower.contains("bias") || lower.contains("layernorm") || lower.contains("rmsnorm") { return false }
        let components = lower.split(separator: ".", omittingEmptySubsequences: false)
        return !components.contains { $0 == "norm" || $0.hasSuffix("_norm") }
    }
}
