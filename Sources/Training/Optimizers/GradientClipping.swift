// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_: one L2 norm over all trainable
// gradients; when it exceeds max_norm every gradient is scaled by max_norm / (norm + 1e-6).
import Compute

public enum GradientClipping {
    /// √(Σ over all gradients of Σ g²), accumulated in f64 (torch reduces in f32 per tensor, then
    /// over the per-tensor norms; the results agree to f32 rounding).
    public static func globalNorm(_ gradients: [Tensor], backend: any OptimizerBackend) -> Float {
        var sum = 0.0
        for g in gradients { sum += backend.squaredL2Norm(g) }
        return Float(sum.squareRoot())
    }

    /// Scales all `gradients` in place so their global L2 norm is at most `maxNorm`, exactly as
    /// `clip_grad_norm_(params, maxNorm)`: `coefficient = min(1, maxNorm / (norm + 1e-6))` in f32.
    /// Returns the norm before clipping (what transformers logs as `grad_norm`). A non-finite norm
    /// is returned as is and, as in torch, makes the gradients non-finite: callers that want to skip
    /// such a step check `isFinite` on the result.
    @discardableResult
    public static func clipGlobalNorm(_ gradients: [Tensor], maxNorm: Double, backend: any OptimizerBackend) -> Float {
        precondition(maxNorm > 0, "max_grad_norm must be > 0 (0 turns clipping off: do not call), got \(maxNorm)")
        let norm = globalNorm(gradients, backend: backend)
        let coefficient = min(Float(maxNorm) / (norm + Float(1e-6)), 1)
        // torch multiplies by the clamped coefficient always; × 1 changes nothing, so skip it.
        if coefficient != 1 {
            for g in gradients { backend.scale(g, by: coefficient) }
        }
        return norm
    }
}
