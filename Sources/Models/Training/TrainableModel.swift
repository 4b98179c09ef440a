// A Llama-family model set up for training: which tensors are trainable (LoRA adapters,
// modules_to_save, or everything), their gradient buffers, and the activation arena planned
// up front for (B, T). The step itself (forward, loss, backward) is in TrainableModel+Step.swift.
import Basics
import Compute
import Quant

/// A trainable tensor and its gradient, as the optimizer sees them.
public struct TrainableParameter {
    /// PEFT adapter name in LoRA mode (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`),
    /// transformers name in full fine-tuning (`model.layers.0.self_attn.q_proj.weight`).
    public let name: String
    public let value: Tensor      // f32, updated in place by the optimizer
    public let gradient: Tensor   // f32, same shape; accumulated by `forwardBackward`
}

/// One transformer block's trainable view.
struct TrainableLayer {
    let attentionNorm, mlpNorm: Tensor          // (C)
    let dAttentionNorm, dMlpNorm: Tensor?       // (C), full fine-tuning only
    let q, k, v, o, gate, up, down: TrainableLinear

    func linear(_ module: LinearModule) -> TrainableLinear {
        switch module {
        case .q_proj: q
        case .k_proj: k
        case .v_proj: v
        case .o_proj: o
        case .gate_proj: gate
        case .up_proj: up
        case .down_proj: down
        }
    }
}

/// Training forward/backward for a Llama-family model with LoRA or full fine-tuning.
///
/// Contract: nothing is allocated inside a step; every activation lives in one arena planned at init
/// for `maxBatch × maxSequence` tokens. Frozen weights have no gradient buffers. Gradients accumulate
/// across `forwardBackward` calls until `zeroGradients()`.
///
/// Activation checkpointing (`checkpointing`, see `ActivationCheckpointing`): `off` keeps every
/// layer's activations; `layer` keeps each layer's input residual and re-runs the whole layer in
/// backward into one shared activation set; `selective` keeps per layer everything a matmul or
/// attention produced and recomputes only the norms and the SwiGLU product into one shared set.
/// Losses and gradients are bit-identical across the three. The last layer is never recomputed
/// (its activations are still in place after the forward pass).
public final class TrainableModel {
    public let config: LlamaConfig
    public let backend: any TrainingBackend
    public let mode: TrainingMode
    public let maxBatch: Int                    // B capacity
    public let maxSequence: Int                 // T capacity (and rope table length)
    /// What each layer keeps for backward and what backward recomputes.
    public let checkpointing: ActivationCheckpointing
    /// Tokens per chunk of the fused LM-head cross-entropy (memory: chunk × V floats).
    public let lossChunkRows: Int
    /// Every trainable tensor with its gradient, in model order.
    public private(set) var parameters: [TrainableParameter] = []

    let embedding: Tensor                       // (V, C)
    let dEmbedding: Tensor?                     // (V, C) when embeddings train
    let lmHead: Tensor                          // (V, C); the embedding itself when tied (and not saved separately)
    let dLmHead: Tensor?                        // (V, C); dEmbedding when tied in full fine-tuning
    let finalNorm: Tensor                       // (C)
    let dFinalNorm: Tensor?                     // (C)
    let layers: [TrainableLayer]
    let cos, sin: Tensor                        // (T, HD/2)
    let loraSeed: UInt64
    let arena: Arena
    let slots: TrainingSlots

    /// Sets up training on `weights` (as loaded by `LlamaWeights.load`).
    ///
    /// - Parameters:
    ///   - mode: `.lora(config)` freezes the base (any f32/bf16/f16 storage); `.full` copies every
    ///     parameter to f32 master weights with gradients.
    ///   - maxBatch, maxSequence: the largest (B, T) a step may use; the arena is planned for it.
    ///   - checkpointing: the activation-checkpointing policy; it sizes the arena (see `ActivationCheckpointing`).
    ///   - fourBitBase: QLoRA: frozen 4-bit weights by module path (`model.layers.0.self_attn.q_proj`), used
    ///     instead of the dense ones (see `FourBitBase.quantize`). Each is dequantized into one shared f32
    ///     scratch (the largest layer's size) right before each forward/backward use. LoRA mode only.
    ///   - quantizedBase: the same for any quantized weight (NF4/FP4, LLM.int8 row-wise, or one rounded to
    ///     bf16 for a bf16 compute dtype), e.g. `BitsAndBytesWeights.quantized`. Merged with `fourBitBase`.
    ///   - dequantizedType: the scratch's type: `.f32`, or `.bf16` for a backend that multiplies bf16
    ///     weights on bf16 units (`CPUBackend(matmulPrecision: .bf16)`).
    /// - Throws: for bad LoRA settings (unknown target, rank above a layer's dimensions) or sizes.
    public init(config: LlamaConfig, weights: LlamaWeights, backend: any TrainingBackend, mode: TrainingMode,
                maxBatch: Int, maxSequence: Int, checkpointing: ActivationCheckpointing = .off, lossChunkRows: Int = 256,
                fourBitBase: [String: FourBitWeight] = [:], quantizedBase: [String: any DequantizableWeight] = [:],
                dequantizedType: DType = .f32) throws {
        guard maxBatch > 0, maxSequence > 0, lossChunkRows > 0 else {
            throw RunnerError("training", "batch (\(maxBatch)), sequence length (\(maxSequence)) and loss chunk (\(lossChunkRows)) must be positive")
        }
        if let window = config.slidingWindow, maxSequence > window {
            throw RunnerError("training", "sequence length \(maxSequence) exceeds the sliding window \(window)",
                              hint: "sliding-window attention is not implemented; use at most \(window) tokens")
        }
        self.config = config
        self.backend = backend
        self.mode = mode
        self.maxBatch = maxBatch
        self.maxSequence = maxSequence
        self.checkpointing = checkpointing
        self.lossChunkRows = lossChunkRows
        let tables = RotaryTables.tables(config, positions: maxSequence)
        cos = backend.upload(tables.cos)
        sin = backend.upload(tables.sin)

        let frozenQuantized = quantizedBase.merging(fourBitBase.mapValues { $0 as any DequantizableWeight }) { _, fourBit in fourBit }
        if !frozenQuantized.isEmpty, mode == .full {
            throw RunnerError("training", "full fine-tuning trains f32 master weights; a quantized base is for LoRA only",
                              hint: "train adapters (a `lora` stage) on a quantized base, or fully fine-tune the unquantized model")
        }
        let modulePaths = Set((0..<config.layerCount).flatMap { layer in LinearModule.allCases.map { $0.path(layer: layer) } })
        if let unknown = frozenQuantized.keys.sorted().first(where: { !modulePaths.contains($0) }) {
            throw RunnerError("training", "quantized weight `\(unknown)` names no Linear layer of the model",
                              hint: "keys are module paths such as model.layers.0.self_attn.q_proj")
        }
        let largest = frozenQuantized.values.map(\.elementCount).max() ?? 0
        guard dequantizedType == .f32 || dequantizedType == .bf16 else {
            throw RunnerError("training", "quantized weights dequantize to f32 or bf16, not \(dequantizedType)")
        }
        let dequantScratch = largest > 0 ? backend.allocate([largest], dtype: dequantizedType) : nil
        var params: [TrainableParameter] = []
        func master(_ t: Tensor) -> Tensor {
            let copy = backend.allocate(t.shape, dtype: .f32)
            backend.copy(copy, from: t)
            return copy
        }
        func trainable(_ name: String, _ t: Tensor) -> (Tensor, Tensor) {
            let value = master(t), gradient = backend.allocate(t.shape, dtype: .f32)
            params.append(TrainableParameter(name: name, value: value, gradient: gradient))
            return (value, gradient)
        }
        let hf = WeightNaming.huggingFace
        var rank = 0
        var adapted: [String: Bool] = [:]   // module paths that get an adapter
        switch mode {
        case .full:
            (embedding, dEmbedding) = trainable(hf.name(.embedding), weights.embedding)
        case .lora(let lora):
            rank = lora.rank
            for target in try lora.resolveTargets(layerCount: config.layerCount) { adapted[target.module.path(layer: target.layer)] = true }
            if lora.modulesToSave.contains("embed_tokens") {
                let (value, gradient) = trainable("base_model.model.model.embed_tokens.weight", weights.embedding)
                (embedding, dEmbedding) = (value, gradient)
            } else {
                (embedding, dEmbedding) = (weights.embedding, nil)
            }
        }
        loraSeed = { if case .lora(let lora) = mode { return lora.seed } else { return 0 } }()
        let doraWorkspace = DoraWorkspace.forModel(mode: mode, weights: weights, backend: backend)   // nil unless use_dora

        var built: [TrainableLayer] = []
        for i in 0..<config.layerCount {
            let w = weights.layers[i]
            func norm(_ key: LayerWeight, _ t: Tensor) -> (Tensor, Tensor?) {
                guard mode == .full else { return (t, nil) }
                let (value, gradient) = trainable(hf.name(.layer(i, key)), t)
                return (value, gradient)
            }
            func linear(_ module: LinearModule, _ weight: Tensor, _ bias: Tensor?, _ wKey: LayerWeight, _ bKey: LayerWeight) throws -> TrainableLinear {
                let path = module.path(layer: i)
                switch mode {
                case .full:
                    let (value, gradient) = trainable(hf.name(.layer(i, wKey)), weight)
                    let trainedBias = bias.map { trainable(hf.name(.layer(i, bKey)), $0) }
                    return TrainableLinear(name: path, weight: value, bias: trainedBias?.0, dWeight: gradient, dBias: trainedBias?.1, lora: nil)
                case .lora(let lora):
                    var frozen = weight
                    let quantized = frozenQuantized[path]
                    if let quantized, let dequantScratch {
                        guard quantized.shape == weight.shape.dims else {
                            throw RunnerError("training", "quantized weight for \(path) has shape \(quantized.shape), the model's is \(weight.shape)")
                        }
                        frozen = dequantScratch.rows(0..<quantized.elementCount).reshaped(weight.shape)
                    }
                    guard adapted[path] == true else {
                        return TrainableLinear(name: path, weight: frozen, bias: bias, dWeight: nil, dBias: nil, lora: nil, quantized: quantized)
                    }
                    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
                    guard lora.rank <= min(inFeatures, outFeatures) else {
                        throw RunnerError("lora.r", "rank \(lora.rank) exceeds \(path)'s smaller dimension (\(outFeatures) × \(inFeatures))",
                                          hint: "use r ≤ \(min(inFeatures, outFeatures))")
                    }
                    let nameA = "base_model.model.\(path).lora_A.weight", nameB = "base_model.model.\(path).lora_B.weight"
                    let a = backend.allocate([lora.rank, inFeatures], dtype: .f32)
                    backend.write(LoraInit.matrixA(name: nameA, rank: lora.rank, inFeatures: inFeatures,
                                                   initialization: lora.initialization, seed: lora.seed), to: a)
                    let b = backend.allocate([outFeatures, lora.rank], dtype: .f32)   // zero: the adapted model starts as the base
                    let dA = backend.allocate(a.shape, dtype: .f32), dB = backend.allocate(b.shape, dtype: .f32)
                    params.append(TrainableParameter(name: nameA, value: a, gradient: dA))
                    params.append(TrainableParameter(name: nameB, value: b, gradient: dB))
                    var adapter = LoraAdapter(a: a, b: b, dA: dA, dB: dB, scale: lora.scale, dropout: lora.dropout)
                    if let doraWorkspace { params.append(adapter.attachDora(modulePath: path, workspace: doraWorkspace, backend: backend)) }
                    let adapted = TrainableLinear(name: path, weight: frozen, bias: bias, dWeight: nil, dBias: nil, lora: adapter,
                                                  quantized: quantized)
                    adapted.initializeDoraMagnitude(on: backend)
                    return adapted
                }
            }
            let attentionNorm = norm(.attentionNorm, w.attentionNorm)
            let q = try linear(.q_proj, w.query, w.queryBias, .query, .queryBias)
            let k = try linear(.k_proj, w.key, w.keyBias, .key, .keyBias)
            let v = try linear(.v_proj, w.value, w.valueBias, .value, .valueBias)
            let o = try linear(.o_proj, w.output, w.outputBias, .output, .outputBias)
            let mlpNorm = norm(.mlpNorm, w.mlpNorm)
            let gate = try linear(.gate_proj, w.gate, w.gateBias, .gate, .gateBias)
            let up = try linear(.up_proj, w.up, w.upBias, .up, .upBias)
            let down = try linear(.down_proj, w.down, w.downBias, .down, .downBias)
            built.append(TrainableLayer(attentionNorm: attentionNorm.0, mlpNorm: mlpNorm.0, dAttentionNorm: attentionNorm.1,
                                        dMlpNorm: mlpNorm.1, q: q, k: k, v: v, o: o, gate: gate, up: up, down: down))
        }
        layers = built

        switch mode {
        case .full:
            (finalNorm, dFinalNorm) = trainable(hf.name(.finalNorm), weights.finalNorm)
            if config.tieWordEmbeddings {
                (lmHead, dLmHead) = (embedding, dEmbedding)
            } else {
                (lmHead, dLmHead) = trainable(hf.name(.lmHead), weights.lmHead)
            }
        case .lora(let lora):
            (finalNorm, dFinalNorm) = (weights.finalNorm, nil)
            if lora.modulesToSave.contains("lm_head") {
                (lmHead, dLmHead) = trainable("base_model.model.lm_head.weight", weights.lmHead)
            } else {
                (lmHead, dLmHead) = (weights.lmHead, nil)
            }
        }
        parameters = params

        var plan = ArenaPlan()
        slots = TrainingSlots(plan: &plan, config: config, tokens: maxBatch * maxSequence, rank: max(rank, 1),
                              checkpointing: checkpointing, chunkRows: lossChunkRows)
        arena = plan.allocate(on: backend)
    }

    /// Bytes of the activation arena (activations, backward scratch, inputs).
    public var arenaBytes: Int { arena.byteCount }

    /// Bytes of the arena holding activations saved for backward: every layer's input residual, the
    /// model's output, and the per-layer and shared activation sets `checkpointing` plans.
    public var savedActivationBytes: Int { slots.savedActivationBytes }

    /// Number of trainable scalars.
    public var trainableParameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Sets every gradient to zero (call after each optimizer step).
    public func zeroGradients() {
        for parameter in parameters { backend.zero(parameter.gradient) }
    }

    /// The trainable tensors by name (PEFT adapter names in LoRA mode, transformers names in full
    /// fine-tuning), as host f32 copies — what `save` writes as `adapter_model.safetensors`.
    public func exportAdapter() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for parameter in parameters {
            out[parameter.name] = Tensor.host(backend.readFloats(parameter.value), shape: parameter.value.shape)
        }
        return out
    }

    /// Replaces trainable tensors by name (the names `exportAdapter` uses). Every trainable tensor
    /// must be present with its shape; gradients are left alone.
    /// - Throws: naming a missing, unknown, or misshapen tensor.
    public func loadAdapter(_ tensors: [String: Tensor]) throws {
        let known = Set(parameters.map(\.name))
        if let unknown = tensors.keys.sorted().first(where: { !known.contains($0) }) {
            throw RunnerError("adapter", "tensor `\(unknown)` is not trainable in this model",
                              hint: "check the LoRA targets and modules_to_save it was trained with")
        }
        for parameter in parameters {
            guard let tensor = tensors[parameter.name] else {
                throw RunnerError("adapter", "missing tensor `\(parameter.name)` (shape \(parameter.value.shape))")
            }
            guard tensor.shape == parameter.value.shape else {
                throw RunnerError("adapter", "tensor `\(parameter.name)` has shape \(tensor.shape), expected \(parameter.value.shape)")
            }
            backend.copy(parameter.value, from: tensor)
        }
    }
}
