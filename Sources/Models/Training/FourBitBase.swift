// QLoRA's frozen base: every Linear weight of the blocks quantized to 4 bits (NF4/FP4, optional
// double quantization) exactly as bitsandbytes does, keyed by transformers module path — built
// tensor by tensor, so the dense model never exists in memory all at once.
import Basics
import Compute
import Quant

/// A model whose block Linear weights are held quantized: what `TrainableModel(quantizedBase:)` trains on.
public struct QuantizedBaseWeights {
    /// Every weight of the model; the quantized Linears' fields are shape-only placeholders (a
    /// zero-stride view of one element, which no matmul accepts), everything else is dense.
    public let weights: LlamaWeights
    /// The quantized Linear weights by module path (`model.layers.0.self_attn.q_proj`).
    public let quantized: [String: any DequantizableWeight]
}

public enum FourBitBase {
    /// Quantizes the seven Linear weights of every block (never embeddings, norms or the LM head, as
    /// bitsandbytes' `load_in_4bit`), reading them from `weights` on `backend` as f32.
    /// - Returns: module path (`model.layers.0.self_attn.q_proj`) → 4-bit weight, for `TrainableModel(fourBitBase:)`.
    public static func quantize(_ weights: LlamaWeights, config: LlamaConfig, backend: any Backend, type: FourBitType = .nf4,
                                blockSize: Int = 64, doubleQuant: Bool = true) throws -> [String: FourBitWeight] {
        var out: [String: FourBitWeight] = [:]
        for (index, layer) in weights.layers.enumerated() {
            let matrices: [(LinearModule, Tensor)] = [(.q_proj, layer.query), (.k_proj, layer.key), (.v_proj, layer.value),
                                                      (.o_proj, layer.output), (.gate_proj, layer.gate), (.up_proj, layer.up),
                                                      (.down_proj, layer.down)]
            for (module, tensor) in matrices {
                let values = backend.readFloats(tensor)
                out[module.path(layer: index)] = try values.withUnsafeBufferPointer {
                    try FourBitWeight(quantizing: .f32($0), shape: tensor.shape.dims, type: type, blockSize: blockSize, doubleQuant: doubleQuant)
                }
            }
        }
        return out
    }

    /// Loads `source` quantizing each block Linear weight as it is read: one dense tensor at a time
    /// exists on the host (dequantized from the checkpoint, then 4-bit quantized and dropped), so the
    /// peak is the 4-bit model plus the dense embeddings, norms and LM head — never the f32 model.
    ///
    /// - Parameter denseDType: storage of the dense matrices (embedding, an untied LM head): f32, or
    ///   bf16 for a bf16 compute backend. Norms and biases stay f32.
    /// - Throws: `RunnerError` naming a missing or mis-shaped tensor, or a block size the layer cannot take.
    public static func load(from source: some WeightSource, config: LlamaConfig, backend: any Backend, denseDType: DType = .f32,
                            type: FourBitType = .nf4, blockSize: Int = 64, doubleQuant: Bool = true) throws -> QuantizedBaseWeights {
        try load(from: source, config: config, backend: backend, denseDType: denseDType) { _, key, shape in
            let values = try CanonicalWeights.hostTensor(key, shape: shape, from: source, config: config).hostFloats()
            return try values.withUnsafeBufferPointer {
                try FourBitWeight(quantizing: .f32($0), shape: shape.dims, type: type, blockSize: blockSize, doubleQuant: doubleQuant)
            }
        }
    }

    /// Loads `source` with every block Linear for which `quantized` returns a weight kept only in that
    /// form (a shape-only placeholder in `weights`); everything else is read and uploaded dense.
    ///
    /// - Parameter quantized: (module path, weight key, shape) → the quantized weight, or nil to load
    ///   that Linear dense. It may read the tensor from the source itself (one at a time).
    /// - Throws: `RunnerError` when a quantized weight's shape differs from the config's, or as `LlamaWeights.load`.
    public static func load(from source: some WeightSource, config: LlamaConfig, backend: any Backend, denseDType: DType = .f32,
                            quantized: (String, WeightKey, Shape) throws -> (any DequantizableWeight)?) throws -> QuantizedBaseWeights {
        var loaded: [WeightKey: Tensor] = [:]
        var quantizedWeights: [String: any DequantizableWeight] = [:]
        let cell = backend.allocate([1], dtype: .f32)
        for (key, shape) in config.weightShapes() {
            if case .layer(let layer, let weight) = key, let module = FourBitRoundTrip.linearModule(weight) {
                let path = module.path(layer: layer)
                if let quantizedWeight = try quantized(path, key, shape) {
                    guard quantizedWeight.shape == shape.dims else {
                        throw RunnerError(source.sourceDescription, "quantized weight of `\(path)` has shape \(quantizedWeight.shape), the config implies \(shape)",
                                          hint: "check hidden_size, intermediate_size and the head counts in config.json")
                    }
                    quantizedWeights[path] = quantizedWeight
                    loaded[key] = Tensor(storage: cell.storage, byteOffset: cell.byteOffset, shape: shape,
                                         strides: Array(repeating: 0, count: shape.rank), dtype: .f32)
                    continue
                }
            }
            let host = try CanonicalWeights.hostTensor(key, shape: shape, from: source, config: config)
            loaded[key] = backend.upload(host, as: shape.rank == 2 ? denseDType : .f32)
        }
        return QuantizedBaseWeights(weights: LlamaWeights(loaded, layerCount: config.layerCount), quantized: quantizedWeights)
    }
}
