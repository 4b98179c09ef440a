// One Linear weight of a checkpoint quantized the way bitsandbytes does it — NF4/FP4 (optionally
// double-quantized) or LLM.int8 row-wise — and its tensors in the HF bitsandbytes layout.
import Basics
import Compute
import Formats
import Foundation
import Quant

enum QuantizedLinear {
    /// How the `quantize` stage quantizes.
    enum Method: Equatable {
        case fourBit(FourBitType, blockSize: Int, doubleQuant: Bool)
        case int8

        var isFourBit: Bool { self != .int8 }

        /// The config.json `quantization_config` transformers writes for this method.
        func quantizationConfig(_ settings: QuantizeSettings) throws -> QuantizationConfig {
            let compute: DType = settings.computeDType == "bf16" ? .bf16 : .f32
            switch self {
            case .fourBit(let type, _, let doubleQuant):
                return BitsAndBytesLayout.quantizationConfig(type: type, doubleQuant: doubleQuant, computeDType: compute,
                                                             skipModules: settings.skipModules)
            case .int8:
                return BitsAndBytesLayout.int8QuantizationConfig(computeDType: compute, skipModules: settings.skipModules)
            }
        }
    }

    /// A quantized weight of either kind.
    enum Parts {
        case fourBit(FourBitWeight)
        case int8(Int8RowWise)
    }

    /// Quantizes the (out, in) weight stored as `bytes` (little-endian `dtype`: F32, BF16 or F16),
    /// from its own dtype, as bitsandbytes quantizes a model loaded in that dtype.
    static func quantize(_ bytes: UnsafeRawBufferPointer, dtype: SafetensorsDType, shape: [Int], as method: Method,
                         tensorName: String) throws -> Parts {
        guard shape.count == 2 else { throw RunnerError(tensorName, "expected a 2-D Linear weight, got shape \(shape)") }
        func run(_ input: QuantInput) throws -> Parts {
            switch method {
            case .fourBit(let type, let blockSize, let doubleQuant):
                return .fourBit(try FourBitWeight(quantizing: input, shape: shape, type: type, blockSize: blockSize, doubleQuant: doubleQuant))
            case .int8:
                // bitsandbytes stores weights without outlier decomposition (threshold applies to activations).
                return .int8(try Int8RowWise(quantizing: input, rows: shape[0], columns: shape[1]))
            }
        }
        do {
            switch dtype {
            case .f32:
                let values = (0..<bytes.count / 4).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                return try values.withUnsafeBufferPointer { try run(.f32($0)) }
            case .bf16, .f16:
                let values = (0..<bytes.count / 2).map { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
                return try values.withUnsafeBufferPointer { try run(dtype == .bf16 ? .bf16($0) : .f16($0)) }
            default:
                throw RunnerError(tensorName, "has dtype \(dtype.rawValue); only F32, BF16 and F16 weights can be quantized")
            }
        } catch let error as RunnerError where error.context != tensorName {
            throw RunnerError(tensorName, error.message, hint: error.hint)
        }
    }

    /// The checkpoint tensors of `parts` for the module at `prefix`.
    static func checkpointTensors(_ parts: Parts, prefix: String) -> [CheckpointTensor] {
        switch parts {
        case .fourBit(let weight): BitsAndBytesLayout.tensors(for: weight, prefix: prefix)
        case .int8(let weight): BitsAndBytesLayout.int8Tensors(for: weight, prefix: prefix)
        }
    }
}
