// QLoRA's frozen base: every Linear weight of the blocks quantized to 4 bits (NF4/FP4, optional
// double quantization) exactly as bitsandbytes does, keyed by transformers module path.
import Basics
import Compute
import Quant

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
}
