// The Hugging Face bitsandbytes 8-bit (LLM.int8) checkpoint layout of one Linear: what
// transformers' `save_pretrained` writes for a `load_in_8bit` model, and reading it back.
import Basics
import Compute
import Foundation

extension BitsAndBytesLayout {
    /// `weight_format` value bitsandbytes saves for the row-major layout ("row" → 0).
    public static let int8RowFormat: UInt8 = 0

    /// The tensors of an 8-bit Linear at `prefix`, as `Linear8bitLt` saves them:
    /// `<prefix>.weight` (i8, (out, in)), `<prefix>.SCB` (f32, (out,)) — note: on the module, not
    /// on `weight` — and `<prefix>.weight_format` (u8 scalar, 0 = row-major).
    public static func int8Tensors(for weight: Int8RowWise, prefix: String) -> [CheckpointTensor] {
        [
            CheckpointTensor(name: prefix + ".weight", dtype: .i8, shape: [weight.rows, weight.columns],
                             bytes: weight.values.map { UInt8(bitPattern: $0) }),
            CheckpointTensor(name: prefix + ".SCB", dtype: .f32, shape: [weight.rows], bytes: littleEndianBytes(weight.rowAbsmax)),
            CheckpointTensor(name: prefix + ".weight_format", dtype: .u8, shape: [], bytes: [int8RowFormat]),
        ]
    }

    /// Rebuilds the 8-bit weight of the Linear at `prefix` from checkpoint tensors. Throws, naming
    /// the tensor, when `weight` or `SCB` is missing or misshapen, or the format is not row-major.
    public static func int8Weight(from tensors: [CheckpointTensor], prefix: String) throws -> Int8RowWise {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard let weight = byName[prefix + ".weight"], let scb = byName[prefix + ".SCB"] else {
            throw RunnerError(prefix + (byName[prefix + ".weight"] == nil ? ".weight" : ".SCB"), "missing from the checkpoint",
                              hint: "is this a bitsandbytes 8-bit checkpoint?")
        }
        guard weight.dtype == .i8, weight.shape.count == 2, weight.bytes.count == weight.shape.reduce(1, *) else {
            throw RunnerError(weight.name, "expected a 2-D int8 matrix, got \(weight.dtype) of shape \(weight.shape)")
        }
        guard scb.dtype == .f32, scb.shape == [weight.shape[0]], scb.bytes.count == weight.shape[0] * 4 else {
            throw RunnerError(scb.name, "expected \(weight.shape[0]) f32 row maxima, got \(scb.dtype) of shape \(scb.shape)")
        }
        if let format = byName[prefix + ".weight_format"], format.bytes != [int8RowFormat] {
            throw RunnerError(format.name, "weight format \(format.bytes) is not supported", hint: "only the row-major format (0) is")
        }
        do {
            return try Int8RowWise(rows: weight.shape[0], columns: weight.shape[1], values: weight.bytes.map { Int8(bitPattern: $0) },
                                   rowAbsmax: floats(scb.bytes))
        } catch let error as RunnerError {
            throw RunnerError(prefix, error.message, hint: error.hint)
        }
    }

    /// The `quantization_config` transformers writes for a `load_in_8bit` model (LLM.int8 threshold 6).
    public static func int8QuantizationConfig(computeDType: DType, skipModules: [String]? = nil) -> QuantizationConfig {
        var config = QuantizationConfig(quantType: .fp4, doubleQuant: false, computeDType: torchName(computeDType), skipModules: skipModules)
        config.loadIn8Bit = true
        return config
    }
}
