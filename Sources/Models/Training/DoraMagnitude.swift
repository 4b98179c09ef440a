// DoRA's per-layer state: the trainable magnitude vector m (one entry per output row) with its
// gradient, and the scratch every DoRA layer of a model shares to form W + s·B·A and its row norms.
// The math lives in DoraLinear.swift; the host loops in DoraKernels.swift.
import Compute

/// The magnitude of one DoRA-adapted Linear layer.
public struct DoraMagnitude {
    public let magnitude: Tensor      // (OC) f32, trainable
    public let dMagnitude: Tensor     // (OC) f32
    /// Scratch shared by all DoRA layers of the model (layers run one at a time).
    let workspace: DoraWorkspace

    /// PEFT's saved name of the magnitude of `modulePath` (`model.layers.0.self_attn.q_proj`).
    public static func parameterName(modulePath: String) -> String {
        "base_model.model.\(modulePath).lora_magnitude_vector"
    }
}

/// Scratch for the DoRA layers of one model, sized for its largest Linear layer. Allocated once when
/// the model is built, so a step allocates nothing.
final class DoraWorkspace {
    let combined: Tensor     // (≥ OC·IC) f32: V = W + s·B·A of the layer at hand
    let merged: Tensor       // (≥ OC·IC) f32: g·V, g·V − W, or dyᵀ·x in backward
    let norms: Tensor        // (≥ OC) f32: ‖V‖ per output row (detached, as PEFT)
    let factors: Tensor      // (≥ OC) f32: g = m / ‖V‖
    let scaledB: Tensor      // (≥ OC·r) f32: diag(s·g)·B
    let products: Tensor     // (≥ OC·r) f32: dyᵀ·u

    /// - Parameter shapes: (OC, IC) of every Linear layer that may carry a DoRA adapter.
    init(shapes: [(out: Int, in: Int)], rank: Int, backend: any Backend) {
        let elements = shapes.map { $0.out * $0.in }.max() ?? 1
        let rows = shapes.map(\.out).max() ?? 1
        combined = backend.allocate([elements], dtype: .f32)
        merged = backend.allocate([elements], dtype: .f32)
        norms = backend.allocate([rows], dtype: .f32)
        factors = backend.allocate([rows], dtype: .f32)
        scaledB = backend.allocate([rows * rank], dtype: .f32)
        products = backend.allocate([rows * rank], dtype: .f32)
    }

    /// The first rows·columns elements of a scratch vector as (rows, columns).
    static func view(_ scratch: Tensor, _ rows: Int, _ columns: Int) -> Tensor {
        scratch.rows(0..<rows * columns).reshaped([rows, columns])
    }
}

extension LoraAdapter {
    /// Gives this adapter a DoRA magnitude (values set by `TrainableLinear.initializeDoraMagnitude`).
    /// - Returns: the magnitude as a trainable parameter, under PEFT's name.
    mutating func attachDora(modulePath: String, workspace: DoraWorkspace, backend: any Backend) -> TrainableParameter {
        let rows = b.shape[0]
        let magnitude = DoraMagnitude(magnitude: backend.allocate([rows], dtype: .f32), dMagnitude: backend.allocate([rows], dtype: .f32),
                                      workspace: workspace)
        dora = magnitude
        return TrainableParameter(name: DoraMagnitude.parameterName(modulePath: modulePath), value: magnitude.magnitude,
                                  gradient: magnitude.dMagnitude)
    }
}

extension DoraWorkspace {
    /// The workspace for a model trained in `mode`, sized from the Linear weights of its first block;
    /// nil unless the mode is LoRA with `useDora`.
    static func forModel(mode: TrainingMode, weights: LlamaWeights, backend: any Backend) -> DoraWorkspace? {
        guard case .lora(let lora) = mode, lora.useDora, let layer = weights.layers.first else { return nil }
        let shapes = [layer.query, layer.key, layer.value, layer.output, layer.gate, layer.up, layer.down].map { (out: $0.shape[0], in: $0.shape[1]) }
        return DoraWorkspace(shapes: shapes, rank: lora.rank, backend: backend)
    }
}
