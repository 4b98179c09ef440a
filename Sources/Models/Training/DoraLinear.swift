// DoRA on one Linear layer, as PEFT 0.21 computes it (Liu et al. 2024, §4.3): with V = W + s·B·A and
// g = m / ‖V‖ (norm per output row, detached from the gradient),
//     y = x·Wᵀ + b + (g − 1)⊙(x̃·Wᵀ) + g⊙(s·x̃·Aᵀ·Bᵀ) = x·Wᵀ + b + x̃·(g⊙V − W)ᵀ,   x̃ = dropout(x);
// without dropout (or in evaluation) x̃ = x and y = x·(g⊙V)ᵀ + b. Forward and backward recompute V
// and g from the current A, B, m, so a checkpointing recompute needs nothing but the saved u = x̃·Aᵀ.
import Compute

extension TrainableLinear {
    /// V = W + s·B·A (OC, IC) in the workspace, with its row norms and g = m / ‖V‖.
    /// Needs the base weight materialized.
    private func prepareDora(_ lora: LoraAdapter, _ dora: DoraMagnitude, on backend: any TrainingBackend) -> Tensor {
        let space = dora.workspace
        let combined = DoraWorkspace.view(space.combined, outFeatures, inFeatures)
        backend.copy(combined, from: weight)
        backend.matmul(combined, lora.b, lora.a, transposeA: false, transposeB: false, alpha: lora.scale, beta: 1)
        DoraKernels.normsAndFactors(combined, magnitude: dora.magnitude, norms: space.norms.rows(0..<outFeatures),
                                    factors: space.factors.rows(0..<outFeatures))
        return combined
    }

    /// The effective weight in the workspace's `merged`: g⊙V, or g⊙V − W with dropout (the weight the
    /// dropped input sees on top of the plain base output).
    private func effectiveWeight(_ combined: Tensor, _ dora: DoraMagnitude, dropout: Bool, on backend: any TrainingBackend) -> Tensor {
        let space = dora.workspace
        let merged = DoraWorkspace.view(space.merged, outFeatures, inFeatures)
        if dropout { backend.copy(merged, from: weight) }
        DoraKernels.scaleRows(merged, combined, by: space.factors.rows(0..<outFeatures), subtractingOut: dropout)
        return merged
    }

    /// DoRA forward into y (N, OC), saving u = x̃·Aᵀ (N, r). `dropout` false: evaluation (x̃ = x).
    func doraForward(_ y: Tensor, _ x: Tensor, u: Tensor, dropped: Tensor, seed: UInt64, lora: LoraAdapter, dora: DoraMagnitude,
                     on backend: any TrainingBackend, dropout: Bool) {
        materializeWeight()
        let combined = prepareDora(lora, dora, on: backend)
        if dropout && lora.dropout > 0 {
            backend.linearForward(y, x, weight: weight, bias: bias)                    // base on the un-dropped x
            let merged = effectiveWeight(combined, dora, dropout: true, on: backend)    // g⊙V − W
            let input = adapterInput(x, dropped: dropped, lora: lora, seed: seed, backend: backend)
            backend.matmul(y, input, merged, transposeA: false, transposeB: true, alpha: 1, beta: 1)
            backend.matmul(u, input, lora.a, transposeA: false, transposeB: true, alpha: 1, beta: 0)
        } else {
            backend.linearForward(y, x, weight: effectiveWeight(combined, dora, dropout: false, on: backend), bias: bias)
            backend.matmul(u, x, lora.a, transposeA: false, transposeB: true, alpha: 1, beta: 0)
        }
    }

    /// DoRA backward from dy (N, OC), with ‖V‖ held constant:
    /// `dx (=|+=) dy·W + drop'(dy·(g⊙V − W))` (= dy·(g⊙V) without dropout);
    /// `dB += diag(s·g)·dyᵀ·u`, `dA += (dy·diag(s·g)·B)ᵀ·x̃`, `dm += rowdot(V, dyᵀ·x̃) / ‖V‖`.
    func doraBackward(dx: Tensor, accumulate: Bool, dy: Tensor, x: Tensor, u: Tensor, dU: Tensor, dropped: Tensor, seed: UInt64,
                      lora: LoraAdapter, dora: DoraMagnitude, on backend: any TrainingBackend) {
        materializeWeight()
        let space = dora.workspace
        let n = dy.shape[0], r = lora.rank
        let combined = prepareDora(lora, dora, on: backend)
        let factors = space.factors.rows(0..<outFeatures), norms = space.norms.rows(0..<outFeatures)
        if lora.dropout > 0 {
            backend.linearBackward(dx: dx, accumulate: accumulate, dWeight: nil, dBias: nil, dy: dy, x: x, weight: weight)
            let merged = effectiveWeight(combined, dora, dropout: true, on: backend)
            let dInput = DoraWorkspace.view(dropped.reshaped([dropped.count]), n, inFeatures)   // d(x̃), then masked
            backend.matmul(dInput, dy, merged, transposeA: false, transposeB: false, alpha: 1, beta: 0)
            backend.dropout(dInput, dInput, probability: lora.dropout, seed: seed)
            backend.add(dx, dx, dInput)
        } else {
            let merged = effectiveWeight(combined, dora, dropout: false, on: backend)
            backend.matmul(dx, dy, merged, transposeA: false, transposeB: false, alpha: 1, beta: accumulate ? 1 : 0)
        }
        let input = adapterInput(x, dropped: dropped, lora: lora, seed: seed, backend: backend)   // x̃ again

        // B and A: the adapter path is s·g⊙(x̃·Aᵀ·Bᵀ).
        let products = DoraWorkspace.view(space.products, outFeatures, r)     // (OC, r) dyᵀ·u
        backend.matmul(products, dy, u, transposeA: true, transposeB: false, alpha: 1, beta: 0)
        DoraKernels.scaleRows(lora.dB, products, by: factors, times: lora.scale, accumulate: true)
        let scaledB = DoraWorkspace.view(space.scaledB, outFeatures, r)       // (OC, r) diag(s·g)·B
        DoraKernels.scaleRows(scaledB, lora.b, by: factors, times: lora.scale, accumulate: false)
        let du = DoraWorkspace.view(dU.reshaped([dU.count]), n, r)            // (N, r)
        backend.matmul(du, dy, scaledB, transposeA: false, transposeB: false, alpha: 1, beta: 0)
        backend.matmul(lora.dA, du, input, transposeA: true, transposeB: false, alpha: 1, beta: 1)

        // m: d y[:, j] / d m[j] = (x̃·Vᵀ)[:, j] / ‖V[j]‖, summed against dy as rowdot(V, dyᵀ·x̃).
        let outer = DoraWorkspace.view(space.merged, outFeatures, inFeatures)  // (OC, IC) dyᵀ·x̃
        backend.matmul(outer, dy, input, transposeA: true, transposeB: false, alpha: 1, beta: 0)
        DoraKernels.accumulateMagnitudeGradient(dora.dMagnitude, v: combined, g: outer, norms: norms)
    }

    /// Sets m to the row norms of W + s·B·A (‖W‖ for a fresh adapter, B = 0): PEFT's initialization,
    /// on the dequantized weight for a quantized base.
    func initializeDoraMagnitude(on backend: any TrainingBackend) {
        guard let lora, let dora = lora.dora else { return }
        materializeWeight()
        _ = prepareDora(lora, dora, on: backend)
        backend.copy(dora.magnitude, from: dora.workspace.norms.rows(0..<outFeatures))
    }
}
