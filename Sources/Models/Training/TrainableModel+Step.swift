// The training step, llm.c style: embedding → blocks → final norm → chunked LM-head cross-entropy,
// then the same in reverse. Each block's forward and backward read top to bottom.
// N = B·T tokens, C hidden, NH/KVH heads, HD head dim, H MLP width, V vocab, r LoRA rank.
import Basics
import Compute

/// Views of one step's inputs in the arena.
struct StepInputs {
    let batch: Int, length: Int                 // B, T
    var count: Int { batch * length }           // N
    let tokens, positions, targets: Tensor      // (N) i32
    let segments: Tensor?                       // (B, T) i32
    let step: Int
}

extension TrainableModel {
    /// Forward and backward on one micro-batch, adding its gradients into every trainable parameter's
    /// gradient (scaled by `1 / lossNormalizer`).
    ///
    /// - Parameters:
    ///   - lossNormalizer: the number of target tokens the gradients are averaged over. Default: this
    ///     batch's `targetTokenCount`, giving transformers' mean loss. For gradient accumulation pass the
    ///     sum of `targetTokenCount` over all micro-batches of the optimizer step (transformers'
    ///     `num_items_in_batch`): the accumulated gradient is then that of the mean over all their tokens.
    ///   - step: keys the dropout masks (with the LoRA seed, layer and module), so runs are reproducible.
    /// - Returns: this batch's mean loss over its target tokens, and that token count (0 and 0 when every
    ///   label is -100; nothing is accumulated then).
    public func forwardBackward(_ batch: TrainingBatch, lossNormalizer: Int? = nil, step: Int = 0) throws -> (loss: Float, tokens: Int) {
        let inputs = try prepare(batch, step: step)
        let targetCount = batch.targetTokenCount
        guard targetCount > 0 else { return (0, 0) }
        if let lossNormalizer, lossNormalizer <= 0 {
            throw RunnerError("training", "loss normalizer must be positive, got \(lossNormalizer)")
        }
        let n = inputs.count
        let final = arena[slots.finalNormed].rows(0..<n), dFinal = arena[slots.dFinal].rows(0..<n)
        let rstd = arena[slots.finalRstd].rows(0..<n)
        let top = residual(config.layerCount, n)
        forwardLayers(inputs)
        backend.rmsnormForward(final, rstd: rstd, top, weight: finalNorm, eps: config.rmsNormEps)
        let result = backend.crossEntropyLoss(hidden: final, weight: lmHead, labels: inputs.targets, dHidden: dFinal,
                                              dWeight: dLmHead, gradScale: 1 / Float(lossNormalizer ?? targetCount),
                                              chunkRows: lossChunkRows)

        let dResidual = arena[slots.dResidual].rows(0..<n)     // (N, C) gradient of the residual stream
        backend.zero(dResidual)
        backend.rmsnormBackward(dx: dResidual, dWeight: dFinalNorm, dy: dFinal, x: top, weight: finalNorm, rstd: rstd)
        for layer in stride(from: config.layerCount - 1, through: 0, by: -1) {
            let saved = activationSet(layer)
            if layer != config.layerCount - 1 {   // the last layer's activations are all still in place
                switch checkpointing {
                case .off: break
                case .layer: layerForward(layer, activations: saved, inputs, recompute: true)   // from the kept input residual
                case .selective: recomputeElementwise(layer, activations: saved, inputs)
                }
            }
            layerBackward(layer, activations: saved, inputs, dResidual: dResidual)
        }
        if let dEmbedding {
            backend.embeddingBackward(dTable: dEmbedding, dOut: dResidual, tokens: inputs.tokens)
        }
        return (Float(result.lossSum / Double(result.tokens)), result.tokens)
    }

    /// The mean loss over the batch's target tokens, forward only; touches no gradient.
    /// - Parameter dropoutStep: nil for evaluation (no dropout); a step number applies the LoRA dropout
    ///   masks `forwardBackward(step:)` uses, so the loss is the one that step differentiates.
    public func loss(_ batch: TrainingBatch, dropoutStep: Int? = nil) throws -> (loss: Float, tokens: Int) {
        let inputs = try prepare(batch, step: dropoutStep ?? 0)
        guard batch.targetTokenCount > 0 else { return (0, 0) }
        let n = inputs.count
        let final = arena[slots.finalNormed].rows(0..<n)
        forwardLayers(inputs, dropout: dropoutStep != nil)
        backend.rmsnormForward(final, rstd: nil, residual(config.layerCount, n), weight: finalNorm, eps: config.rmsNormEps)
        let result = backend.crossEntropyLoss(hidden: final, weight: lmHead, labels: inputs.targets, dHidden: nil, dWeight: nil,
                                              gradScale: 0, chunkRows: lossChunkRows)
        return (Float(result.lossSum / Double(result.tokens)), result.tokens)
    }

    // MARK: Inputs

    func prepare(_ batch: TrainingBatch, step: Int) throws -> StepInputs {
        try batch.validate(vocabSize: config.vocabSize, maxBatch: maxBatch, maxSequence: maxSequence)
        let (b, t) = (batch.batchSize, batch.sequenceLength)
        let n = b * t
        let tokens = arena[slots.tokens].rows(0..<n), positions = arena[slots.positions].rows(0..<n)
        let targets = arena[slots.targets].rows(0..<n)
        backend.write(batch.tokens, to: tokens)
        backend.write(batch.positions ?? (0..<n).map { Int32($0 % t) }, to: positions)
        backend.write(batch.shiftedTargets, to: targets)
        var segments: Tensor?
        if let ids = batch.segmentIds {
            let view = arena[slots.segments].rows(0..<n)
            backend.write(ids, to: view)
            segments = view.reshaped([b, t])
        }
        return StepInputs(batch: b, length: t, tokens: tokens, positions: positions, targets: targets, segments: segments, step: step)
    }

    func residual(_ index: Int, _ n: Int) -> Tensor { arena[slots.residuals[index]].rows(0..<n) }

    func activationSet(_ layer: Int) -> TrainingSlots.LayerActivations {
        checkpointing == .layer ? slots.sets[0] : slots.sets[layer]
    }

    /// Seed of one dropout mask: (LoRA seed, step, layer, module).
    func dropoutSeed(step: Int, layer: Int, module: LinearModule) -> UInt64 {
        loraSeed ^ fnv1a("dropout/\(step)/\(layer)/\(module.rawValue)")
    }

    // MARK: Forward

    func forwardLayers(_ inputs: StepInputs, dropout: Bool = true) {
        backend.embeddingForward(residual(0, inputs.count), table: embedding, tokens: inputs.tokens)
        for layer in 0..<config.layerCount {
            layerForward(layer, activations: activationSet(layer), inputs, dropout: dropout)
        }
    }

    /// One block: h = x + Attention(RMSNorm(x)); out = h + MLP(RMSNorm(h)), saving what backward reads.
    /// A checkpointing `recompute` skips what backward never reads: the block's output (the next
    /// layer's kept input) and so down_proj's base matmul (its adapter's `u` is still recomputed).
    func layerForward(_ index: Int, activations s: TrainingSlots.LayerActivations, _ inputs: StepInputs, dropout: Bool = true,
                      recompute: Bool = false) {
        let layer = layers[index]
        let (n, b, t) = (inputs.count, inputs.batch, inputs.length)
        let (nh, kvh, hd) = (config.headCount, config.kvHeadCount, config.headDim)
        let x = residual(index, n), out = residual(index + 1, n)           // (N, C)
        let xn1 = rows(s.xn1, n), h = rows(s.h, n), xn2 = rows(s.xn2, n)   // (N, C)
        let q = rows(s.q, n), att = rows(s.att, n)                          // (N, NH·HD)
        let k = rows(s.k, n), v = rows(s.v, n)                              // (N, KVH·HD)
        let gate = rows(s.gate, n), up = rows(s.up, n), act = rows(s.act, n) // (N, H)
        let dropped = arena[slots.dropped]
        func run(_ linear: TrainableLinear, _ module: LinearModule, _ y: Tensor, _ x: Tensor) {
            let seed = dropout ? dropoutSeed(step: inputs.step, layer: index, module: module) : 0
            linear.forward(y, x, u: loraU(s, module, n, linear), dropped: dropped, seed: seed, on: backend, dropout: dropout)
        }

        // Attention.
        backend.rmsnormForward(xn1, rstd: rows(s.rstd1, n), x, weight: layer.attentionNorm, eps: config.rmsNormEps)
        run(layer.q, .q_proj, q, xn1)
        run(layer.k, .k_proj, k, xn1)
        run(layer.v, .v_proj, v, xn1)
        let q4 = q.reshaped([b, t, nh, hd]), k4 = k.reshaped([b, t, kvh, hd]), v4 = v.reshaped([b, t, kvh, hd])
        backend.ropeForward(q4, q4, cos: cos, sin: sin, positions: inputs.positions)
        backend.ropeForward(k4, k4, cos: cos, sin: sin, positions: inputs.positions)
        backend.attentionForward(att.reshaped([b, t, nh, hd]), logSumExp: lse(s, inputs), q: q4, k: k4, v: v4,
                                 pastLength: 0, segmentIds: inputs.segments, scale: attentionScale)
        run(layer.o, .o_proj, h, att)
        backend.add(h, h, x)

        // MLP (SwiGLU).
        backend.rmsnormForward(xn2, rstd: rows(s.rstd2, n), h, weight: layer.mlpNorm, eps: config.rmsNormEps)
        run(layer.gate, .gate_proj, gate, xn2)
        run(layer.up, .up_proj, up, xn2)
        backend.swigluForward(act, gate: gate, up: up)
        if recompute {
            layer.down.recomputeAdapterInput(act, u: loraU(s, .down_proj, n, layer.down), dropped: dropped,
                                             seed: dropoutSeed(step: inputs.step, layer: index, module: .down_proj), on: backend)
            return
        }
        run(layer.down, .down_proj, out, act)
        backend.add(out, out, h)
    }

    /// Selective checkpointing: rebuilds what the block's backward reads but the forward pass did not
    /// keep — both RMSNorm outputs with their rstd (from the kept input residual and h) and
    /// act = silu(gate)·up — into the shared slots. The same ops on the same inputs: bit-identical.
    func recomputeElementwise(_ index: Int, activations s: TrainingSlots.LayerActivations, _ inputs: StepInputs) {
        let layer = layers[index], n = inputs.count
        backend.rmsnormForward(rows(s.xn1, n), rstd: rows(s.rstd1, n), residual(index, n), weight: layer.attentionNorm,
                               eps: config.rmsNormEps)                                    // (N, C)
        backend.rmsnormForward(rows(s.xn2, n), rstd: rows(s.rstd2, n), rows(s.h, n), weight: layer.mlpNorm, eps: config.rmsNormEps)
        backend.swigluForward(rows(s.act, n), gate: rows(s.gate, n), up: rows(s.up, n))   // (N, H)
    }

    // MARK: Backward

    /// The block in reverse. `dResidual` (N, C) holds d(out) on entry and d(x) on return.
    func layerBackward(_ index: Int, activations s: TrainingSlots.LayerActivations, _ inputs: StepInputs, dResidual: Tensor) {
        let layer = layers[index]
        let (n, b, t) = (inputs.count, inputs.batch, inputs.length)
        let (nh, kvh, hd) = (config.headCount, config.kvHeadCount, config.headDim)
        let x = residual(index, n)
        let dNormed = rows(slots.dNormed, n)                                 // (N, C)
        let dAtt = rows(slots.dAtt, n), dQ = rows(slots.dQ, n)               // (N, NH·HD)
        let dK = rows(slots.dK, n), dV = rows(slots.dV, n)                   // (N, KVH·HD)
        let dAct = rows(slots.dAct, n), dUp = rows(slots.dUp, n)             // (N, H)
        let dU = arena[slots.dU], dropped = arena[slots.dropped]
        func back(_ linear: TrainableLinear, _ module: LinearModule, dx: Tensor, accumulate: Bool, dy: Tensor, x: Tensor) {
            linear.backward(dx: dx, accumulate: accumulate, dy: dy, x: x, u: loraU(s, module, n, linear), dU: dU, dropped: dropped,
                            seed: dropoutSeed(step: inputs.step, layer: index, module: module), on: backend)
        }

        // MLP: out = h + down(swiglu(gate(xn2), up(xn2))).
        back(layer.down, .down_proj, dx: dAct, accumulate: false, dy: dResidual, x: rows(s.act, n))
        backend.swigluBackward(dGate: dAct, dUp: dUp, dOut: dAct, gate: rows(s.gate, n), up: rows(s.up, n))
        back(layer.gate, .gate_proj, dx: dNormed, accumulate: false, dy: dAct, x: rows(s.xn2, n))
        back(layer.up, .up_proj, dx: dNormed, accumulate: true, dy: dUp, x: rows(s.xn2, n))
        backend.rmsnormBackward(dx: dResidual, dWeight: layer.dMlpNorm, dy: dNormed, x: rows(s.h, n),
                                weight: layer.mlpNorm, rstd: rows(s.rstd2, n))          // dResidual = d(h)

        // Attention: h = x + o(attention(rope(q(xn1)), rope(k(xn1)), v(xn1))).
        back(layer.o, .o_proj, dx: dAtt, accumulate: false, dy: dResidual, x: rows(s.att, n))
        let dQ4 = dQ.reshaped([b, t, nh, hd]), dK4 = dK.reshaped([b, t, kvh, hd])
        backend.attentionBackward(dq: dQ4, dk: dK4, dv: dV.reshaped([b, t, kvh, hd]), dOut: dAtt.reshaped([b, t, nh, hd]),
                                  q: rows(s.q, n).reshaped([b, t, nh, hd]), k: rows(s.k, n).reshaped([b, t, kvh, hd]),
                                  v: rows(s.v, n).reshaped([b, t, kvh, hd]), out: rows(s.att, n).reshaped([b, t, nh, hd]),
                                  logSumExp: lse(s, inputs), segmentIds: inputs.segments, scale: attentionScale)
        backend.ropeBackward(dQ4, dQ4, cos: cos, sin: sin, positions: inputs.positions)
        backend.ropeBackward(dK4, dK4, cos: cos, sin: sin, positions: inputs.positions)
        let xn1 = rows(s.xn1, n)
        back(layer.q, .q_proj, dx: dNormed, accumulate: false, dy: dQ, x: xn1)
        back(layer.k, .k_proj, dx: dNormed, accumulate: true, dy: dK, x: xn1)
        back(layer.v, .v_proj, dx: dNormed, accumulate: true, dy: dV, x: xn1)
        backend.rmsnormBackward(dx: dResidual, dWeight: layer.dAttentionNorm, dy: dNormed, x: x,
                                weight: layer.attentionNorm, rstd: rows(s.rstd1, n))    // dResidual = d(x)
    }

    // MARK: Views

    var attentionScale: Float { 1 / Float(config.headDim).squareRoot() }

    func rows(_ slot: ArenaPlan.Slot, _ n: Int) -> Tensor { arena[slot].rows(0..<n) }

    /// (B, NH, T) log-sum-exp of a layer's attention.
    func lse(_ s: TrainingSlots.LayerActivations, _ inputs: StepInputs) -> Tensor {
        arena[s.lse].rows(0..<inputs.count * config.headCount).reshaped([inputs.batch, config.headCount, inputs.length])
    }

    /// The saved `drop(x)·Aᵀ` (N, r) of an adapted linear; nil for plain ones.
    func loraU(_ s: TrainingSlots.LayerActivations, _ module: LinearModule, _ n: Int, _ linear: TrainableLinear) -> Tensor? {
        guard linear.lora != nil else { return nil }
        return arena[s.loraU[LinearModule.allCases.firstIndex(of: module)!]].rows(0..<n)
    }
}
