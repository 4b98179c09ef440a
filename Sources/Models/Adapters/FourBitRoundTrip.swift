// The weights a QLoRA adapter was trained against: each quantized Linear weight of the base as
// dequantize(quantize(W)), bit-exact with bitsandbytes (quantization is deterministic). Generation
// and merge apply adapters on top of these, as PEFT does with a 4-bit base.
import Basics
import Compute
import Quant

public enum FourBitRoundTrip {
    /// A transform replacing every block Linear weight (not embeddings, norms or the LM head) whose
    /// module path is not skipped by `skip` with its 4-bit round trip.
    public static func transform(type: FourBitType, blockSize: Int, doubleQuant: Bool,
                                 skip: @escaping @Sendable (String) -> Bool) -> BaseWeightTransform {
        return { key, tensor in
            guard case .layer(let layer, let weight) = key, let module = linearModule(weight),
                  !skip(module.path(layer: layer)) else { return tensor }
            let values = tensor.hostFloats()
            let quantized = try values.withUnsafeBufferPointer {
                try FourBitWeight(quantizing: .f32($0), shape: tensor.shape.dims, type: type, blockSize: blockSize, doubleQuant: doubleQuant)
            }
            return Tensor.host(try quantized.dequantized(), shape: tensor.shape)
        }
    }

    static func linearModule(_ weight: LayerWeight) -> LinearModule? {
        switch weight {
        case .query: .q_proj
        case .key: .k_proj
        case .value: .v_proj
        case .output: .o_proj
        case .gate: .gate_proj
        case .up: .up_proj
        case .down: .down_proj
        default: nil
        }
    }
}
