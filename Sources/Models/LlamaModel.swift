// The Llama-family forward pass (Llama 2/3, Mistral, TinyLlama, SmolLM2, Qwen2), llm.c style:
// one arena planned up front, each block written top to bottom, shapes in comments.
// B batch, T tokens this step, S KV-cache length, C hidden, NH/KVH heads, HD head dim, H MLP width, V vocab.
import Basics
import Compute

/// Which positions get logits.
public enum LogitsPolicy: Sendable {
    /// Only each sequence's last position: logits (B, V). What generation needs; saves the big GEMM.
    case lastPosition
    /// Every position: logits (B·T, V).
    case allPositions
}

/// A Llama-family model on a backend, with its KV cache and activation arena.
///
/// Contract: `forward` appends its tokens to the KV cache (positions `cachedLength..<cachedLength+T`
/// by default) and returns a view of the arena's logits, valid until the next `forward`.
/// Nothing is allocated inside `forward`.
public final class LlamaModel {
    public let config: LlamaConfig
    public let backend: any Backend
    public let weights: LlamaWeights
    public let maxBatch: Int          // B capacity
    public let maxSequence: Int       // S: KV cache length (and rope table length)
    public let maxStepTokens: Int     // B·T capacity of one forward call
    public let logitsPolicy: LogitsPolicy
    /// Tokens already in the KV cache for each sequence of the batch.
    public private(set) var cachedLength = 0

    private let cos, sin: Tensor      // (S, HD/2)
    private let arena: Arena
    private let slots: Slots

    private struct Slots {
        var tokens, positions, segments: ArenaPlan.Slot  // (N) i32, (N) i32, (B, S) i32
        var x, xn, proj: ArenaPlan.Slot                  // (N, C)
        var q, att: ArenaPlan.Slot                       // (N, NH·HD)
        var k, v: ArenaPlan.Slot                         // (N, KVH·HD)
        var gate, up: ArenaPlan.Slot                     // (N, H)
        var last, lastNorm: ArenaPlan.Slot               // (B, C)
        var logits: ArenaPlan.Slot                       // (N or B, V)
        var keyCache, valueCache: [ArenaPlan.Slot]       // L × (B, S, KVH, HD)
    }

    /// Plans and allocates the arena and KV cache.
    /// - Throws: when the sizes are not positive or exceed the model's sliding window.
    public init(config: LlamaConfig, weights: LlamaWeights, backend: any Backend, maxBatch: Int = 1,
                maxSequence: Int, maxStepTokens: Int? = nil, logits: LogitsPolicy = .lastPosition) throws {
        let stepTokens = maxStepTokens ?? maxBatch * maxSequence
        guard maxBatch > 0, maxSequence > 0, stepTokens > 0 else {
            throw RunnerError("model", "batch (\(maxBatch)), sequence length (\(maxSequence)) and step tokens (\(stepTokens)) must be positive")
        }
        if let window = config.slidingWindow, maxSequence > window {
            throw RunnerError("model", "sequence length \(maxSequence) exceeds the sliding window \(window)",
                              hint: "sliding-window attention is not implemented; use at most \(window) tokens")
        }
        self.config = config
        self.backend = backend
        self.weights = weights
        self.maxBatch = maxBatch
        self.maxSequence = maxSequence
        self.maxStepTokens = stepTokens
        self.logitsPolicy = logits
        let tables = RotaryTables.tables(config, positions: maxSequence)
        self.cos = backend.upload(tables.cos)
        self.sin = backend.upload(tables.sin)

        let (n, c, h, v) = (stepTokens, config.hiddenSize, config.intermediateSize, config.vocabSize)
        let qDim = config.headCount * config.headDim, kvDim = config.kvHeadCount * config.headDim
        var plan = ArenaPlan()
        slots = Slots(
            tokens: plan.add("tokens", [n], dtype: .i32), positions: plan.add("positions", [n], dtype: .i32),
            segments: plan.add("segments", [maxBatch, maxSequence], dtype: .i32),
            x: plan.add("x", [n, c]), xn: plan.add("xn", [n, c]), proj: plan.add("proj", [n, c]),
            q: plan.add("q", [n, qDim]), att: plan.add("att", [n, qDim]),
            k: plan.add("k", [n, kvDim]), v: plan.add("v", [n, kvDim]),
            gate: plan.add("gate", [n, h]), up: plan.add("up", [n, h]),
            last: plan.add("last", [maxBatch, c]), lastNorm: plan.add("lastNorm", [maxBatch, c]),
            logits: plan.add("logits", [logits == .allPositions ? n : maxBatch, v]),
            keyCache: (0..<config.layerCount).map { plan.add("cache.k.\($0)", [maxBatch, maxSequence, config.kvHeadCount, config.headDim]) },
            valueCache: (0..<config.layerCount).map { plan.add("cache.v.\($0)", [maxBatch, maxSequence, config.kvHeadCount, config.headDim]) })
        arena = plan.allocate(on: backend)
    }

    /// Bytes of the activation arena plus KV cache.
    public var arenaBytes: Int { arena.byteCount }

    /// Forgets the KV cache (the next `forward` starts at position 0).
    public func resetCache() { cachedLength = 0 }

    /// Runs `tokens` (B, T), row-major, through the model, appending them to the KV cache.
    ///
    /// - Parameters:
    ///   - positions: (B, T) rope positions; default `cachedLength + t`.
    ///   - segmentIds: (B, T) example ids for packed sequences (attention stays within a segment);
    ///     only with an empty cache.
    /// - Returns: logits (B, V) for `.lastPosition`, (B·T, V) for `.allPositions`, as a backend tensor.
    @discardableResult
    public func forward(tokens: [Int32], batch: Int = 1, positions: [Int32]? = nil, segmentIds: [Int32]? = nil) throws -> Tensor {
        let (b, n) = (batch, tokens.count)
        guard b > 0, b <= maxBatch, n > 0, n % b == 0 else {
            throw RunnerError("forward", "\(n) tokens do not form a batch of \(b) sequences (max batch \(maxBatch))")
        }
        let t = n / b, past = cachedLength
        guard n <= maxStepTokens else {
            throw RunnerError("forward", "\(n) tokens in one step exceed the planned \(maxStepTokens)", hint: "raise maxStepTokens")
        }
        guard past + t <= maxSequence else {
            throw RunnerError("forward", "the KV cache holds \(maxSequence) tokens; \(past) cached + \(t) new do not fit",
                              hint: "raise maxSequence or reset the cache")
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw RunnerError("forward", "token \(tokens[bad]) at index \(bad) is outside the vocabulary (0..<\(config.vocabSize))")
        }
        let positionIds = positions ?? (0..<n).map { Int32(past + $0 % t) }
        guard positionIds.count == n, positionIds.allSatisfy({ $0 >= 0 && Int($0) < maxSequence }) else {
            throw RunnerError("forward", "positions must be \(n) values in 0..<\(maxSequence)")
        }
        backend.write(tokens, to: arena[slots.tokens].rows(0..<n))
        backend.write(positionIds, to: arena[slots.positions].rows(0..<n))
        var segments: Tensor?
        if let segmentIds {
            guard past == 0, segmentIds.count == n else {
                throw RunnerError("forward", "segment ids need an empty KV cache and one id per token (\(n))")
            }
            var padded = [Int32](repeating: -1, count: b * maxSequence)
            for i in 0..<b { for j in 0..<t { padded[i * maxSequence + j] = segmentIds[i * t + j] } }
            segments = arena[slots.segments].rows(0..<b)
            backend.write(padded, to: segments!)
        }

        let x = arena[slots.x].rows(0..<n)                       // (B·T, C) the residual stream
        backend.embeddingForward(x, table: weights.embedding, tokens: arena[slots.tokens].rows(0..<n))
        for layer in 0..<config.layerCount {
            block(layer, x: x, batch: b, tokens: t, past: past, segments: segments)
        }
        cachedLength = past + t
        return head(x, batch: b, tokens: t)
    }

    /// One transformer block: x += Attention(RMSNorm(x)); x += MLP(RMSNorm(x)).
    private func block(_ layer: Int, x: Tensor, batch b: Int, tokens t: Int, past: Int, segments: Tensor?) {
        let w = weights.layers[layer]
        let (n, nh, kvh, hd) = (b * t, config.headCount, config.kvHeadCount, config.headDim)
        let xn = arena[slots.xn].rows(0..<n)                     // (B·T, C)
        let q = arena[slots.q].rows(0..<n)                       // (B·T, NH·HD)
        let k = arena[slots.k].rows(0..<n)                       // (B·T, KVH·HD)
        let v = arena[slots.v].rows(0..<n)                       // (B·T, KVH·HD)
        let att = arena[slots.att].rows(0..<n)                   // (B·T, NH·HD)
        let proj = arena[slots.proj].rows(0..<n)                 // (B·T, C)
        let positions = arena[slots.positions].rows(0..<n)       // (B·T)

        // Attention.
        backend.rmsnormForward(xn, rstd: nil, x, weight: w.attentionNorm, eps: config.rmsNormEps)
        backend.linearForward(q, xn, weight: w.query, bias: w.queryBias)
        backend.linearForward(k, xn, weight: w.key, bias: w.keyBias)
        backend.linearForward(v, xn, weight: w.value, bias: w.valueBias)
        let q4 = q.reshaped([b, t, nh, hd]), k4 = k.reshaped([b, t, kvh, hd])
        backend.ropeForward(q4, q4, cos: cos, sin: sin, positions: positions)
        backend.ropeForward(k4, k4, cos: cos, sin: sin, positions: positions)
        let keyCache = arena[slots.keyCache[layer]].rows(0..<b)      // (B, S, KVH, HD)
        let valueCache = arena[slots.valueCache[layer]].rows(0..<b)  // (B, S, KVH, HD)
        backend.copy(keyCache.slice(axis: 1, past..<past + t), from: k4)
        backend.copy(valueCache.slice(axis: 1, past..<past + t), from: v.reshaped([b, t, kvh, hd]))
        backend.attentionForward(att.reshaped([b, t, nh, hd]), logSumExp: nil, q: q4, k: keyCache, v: valueCache,
                                 pastLength: past, segmentIds: segments, scale: 1 / Float(hd).squareRoot())
        backend.linearForward(proj, att, weight: w.output, bias: w.outputBias)
        backend.add(x, x, proj)

        // MLP (SwiGLU).
        let gate = arena[slots.gate].rows(0..<n)                 // (B·T, H)
        let up = arena[slots.up].rows(0..<n)                     // (B·T, H)
        backend.rmsnormForward(xn, rstd: nil, x, weight: w.mlpNorm, eps: config.rmsNormEps)
        backend.linearForward(gate, xn, weight: w.gate, bias: w.gateBias)
        backend.linearForward(up, xn, weight: w.up, bias: w.upBias)
        backend.swigluForward(gate, gate: gate, up: up)
        backend.linearForward(proj, gate, weight: w.down, bias: w.downBias)
        backend.add(x, x, proj)
    }

    /// Final RMSNorm and the LM head, for the positions the logits policy asks for.
    private func head(_ x: Tensor, batch b: Int, tokens t: Int) -> Tensor {
        let c = config.hiddenSize
        switch logitsPolicy {
        case .allPositions:
            let xn = arena[slots.xn].rows(0..<b * t)             // (B·T, C)
            let logits = arena[slots.logits].rows(0..<b * t)     // (B·T, V)
            backend.rmsnormForward(xn, rstd: nil, x, weight: weights.finalNorm, eps: config.rmsNormEps)
            backend.linearForward(logits, xn, weight: weights.lmHead, bias: nil)
            return logits
        case .lastPosition:
            let last = arena[slots.last].rows(0..<b)             // (B, C)
            let lastNorm = arena[slots.lastNorm].rows(0..<b)     // (B, C)
            let logits = arena[slots.logits].rows(0..<b)         // (B, V)
            backend.copy(last.reshaped([b, 1, c]), from: x.reshaped([b, t, c]).slice(axis: 1, t - 1..<t))
            backend.rmsnormForward(lastNorm, rstd: nil, last, weight: weights.finalNorm, eps: config.rmsNormEps)
            backend.linearForward(logits, lastNorm, weight: weights.lmHead, bias: nil)
            return logits
        }
    }
}
