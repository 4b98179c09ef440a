// The arena plan of a training step: inputs, the activations each layer saves for backward (laid
// out by the activation-checkpointing policy), the final norm, and the backward scratch every layer
// shares. N = B·T rows.
import Compute

/// Arena slots of a training step. N = B·T rows.
struct TrainingSlots {
    /// Activations saved by one layer's forward for its backward.
    struct LayerActivations {
        var xn1, h, xn2: ArenaPlan.Slot           // (N, C)
        var rstd1, rstd2: ArenaPlan.Slot          // (N)
        var q, att: ArenaPlan.Slot                // (N, NH·HD) q after rope
        var k, v: ArenaPlan.Slot                  // (N, KVH·HD) k after rope
        var lse: ArenaPlan.Slot                   // (N·NH) viewed as (B, NH, T)
        var gate, up, act: ArenaPlan.Slot         // (N, H)
        var loraU: [ArenaPlan.Slot]               // 7 × (N, r), by LinearModule order
    }

    var tokens, positions, targets, segments: ArenaPlan.Slot   // (N) i32
    var residuals: [ArenaPlan.Slot]                            // (L + 1) × (N, C): each layer's input, then the output
    var sets: [LayerActivations]                               // L (off, selective) or 1 (layer); see `TrainableModel.activationSet`
    var savedActivationBytes: Int                              // residuals and sets, as planned
    var finalNormed, dFinal: ArenaPlan.Slot                    // (N, C)
    var finalRstd: ArenaPlan.Slot                              // (N)
    // Backward scratch, shared by all layers.
    var dResidual, dNormed: ArenaPlan.Slot                     // (N, C)
    var dAtt, dQ: ArenaPlan.Slot                               // (N, NH·HD)
    var dK, dV: ArenaPlan.Slot                                 // (N, KVH·HD)
    var dAct, dUp: ArenaPlan.Slot                              // (N, H)
    var dU: ArenaPlan.Slot                                     // (N, r)
    var dropped: ArenaPlan.Slot                                // (N, max(C, H, NH·HD))

    /// Plans the arena. Activation sets by policy: `off` one per layer; `layer` one shared by all;
    /// `selective` one per layer whose recomputed slots (xn1, xn2, rstd1, rstd2, act) are shared.
    init(plan: inout ArenaPlan, config: LlamaConfig, tokens n: Int, rank: Int, checkpointing: ActivationCheckpointing, chunkRows: Int) {
        let (c, h) = (config.hiddenSize, config.intermediateSize)
        let qDim = config.headCount * config.headDim, kvDim = config.kvHeadCount * config.headDim
        tokens = plan.add("tokens", [n], dtype: .i32)
        positions = plan.add("positions", [n], dtype: .i32)
        targets = plan.add("targets", [n], dtype: .i32)
        segments = plan.add("segments", [n], dtype: .i32)
        let activationsStart = plan.byteCount
        residuals = (0...config.layerCount).map { plan.add("residual.\($0)", [n, c]) }
        // One layer's set; the recomputable slots come from `sharing` when given.
        func set(_ s: Int, sharing shared: LayerActivations? = nil) -> LayerActivations {
            LayerActivations(
                xn1: shared?.xn1 ?? plan.add("xn1.\(s)", [n, c]), h: plan.add("h.\(s)", [n, c]),
                xn2: shared?.xn2 ?? plan.add("xn2.\(s)", [n, c]),
                rstd1: shared?.rstd1 ?? plan.add("rstd1.\(s)", [n]), rstd2: shared?.rstd2 ?? plan.add("rstd2.\(s)", [n]),
                q: plan.add("q.\(s)", [n, qDim]), att: plan.add("att.\(s)", [n, qDim]),
                k: plan.add("k.\(s)", [n, kvDim]), v: plan.add("v.\(s)", [n, kvDim]),
                lse: plan.add("lse.\(s)", [n * config.headCount]),
                gate: plan.add("gate.\(s)", [n, h]), up: plan.add("up.\(s)", [n, h]),
                act: shared?.act ?? plan.add("act.\(s)", [n, h]),
                loraU: LinearModule.allCases.map { plan.add("lora.u.\($0.rawValue).\(s)", [n, rank]) })
        }
        switch checkpointing {
        case .off:
            sets = (0..<config.layerCount).map { set($0) }
        case .layer:
            sets = [set(0)]
        case .selective:
            let first = set(0)
            sets = [first] + (1..<config.layerCount).map { set($0, sharing: first) }
        }
        savedActivationBytes = plan.byteCount - activationsStart
        finalNormed = plan.add("final.normed", [n, c])
        dFinal = plan.add("final.dnormed", [n, c])
        finalRstd = plan.add("final.rstd", [n])
        dResidual = plan.add("d.residual", [n, c])
        dNormed = plan.add("d.normed", [n, c])
        dAtt = plan.add("d.att", [n, qDim])
        dQ = plan.add("d.q", [n, qDim])
        dK = plan.add("d.k", [n, kvDim])
        dV = plan.add("d.v", [n, kvDim])
        dAct = plan.add("d.act", [n, h])
        dUp = plan.add("d.up", [n, h])
        dU = plan.add("d.lora.u", [n, rank])
        dropped = plan.add("lora.dropped", [n, max(c, h, qDim)])
    }
}
