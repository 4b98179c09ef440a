// A checkpoint in Hugging Face's bitsandbytes layout (what the `quantize` stage writes, and what
// transformers saves for `load_in_4bit` / `load_in_8bit` models): its quantized Linear weights, and
// a `WeightSource` that hands every tensor out dense (quantized ones dequantized to f32).
import Basics
import Compute
import Formats
import Foundation
import Quant

public struct BitsAndBytesWeights: WeightSource {
    /// The dense view of the other tensors (embeddings, norms, biases, an untied LM head).
    public let dense: SafetensorsWeights
    /// Quantized Linear weights by module path (`model.layers.0.self_attn.q_proj`): `FourBitWeight`
    /// for NF4/FP4, `Int8RowWise` for LLM.int8.
    public let quantized: [String: any DequantizableWeight]
    public var naming: WeightNaming { .huggingFace }
    public var sourceDescription: String { dense.sourceDescription }

    /// Suffix of the packed quant state tensor that marks a 4-bit weight.
    private static let fourBitStateMarker = ".weight.quant_state.bitsandbytes__"

    /// Opens a checkpoint directory (or file) and reads every quantized Linear.
    /// - Throws: naming the tensor when a quantized weight's parts are missing or inconsistent.
    public init(at url: URL) throws {
        dense = try SafetensorsWeights(at: url)
        let checkpoint = dense.checkpoint
        var quantized: [String: any DequantizableWeight] = [:]
        for prefix in Self.quantizedModules(checkpoint).fourBit {
            let parts = try checkpoint.tensorNames.filter { $0.hasPrefix(prefix + ".weight") }.map { try Self.checkpointTensor($0, checkpoint) }
            quantized[prefix] = try BitsAndBytesLayout.weight(from: parts, prefix: prefix)
        }
        for prefix in Self.quantizedModules(checkpoint).int8 {
            let parts = try [".weight", ".SCB", ".weight_format"].compactMap { suffix in
                checkpoint.tensor(named: prefix + suffix) == nil ? nil : try Self.checkpointTensor(prefix + suffix, checkpoint)
            }
            quantized[prefix] = try BitsAndBytesLayout.int8Weight(from: parts, prefix: prefix)
        }
        self.quantized = quantized
    }

    /// The same checkpoint with every quantized weight rounded to bf16 after dequantization: the
    /// weights a base quantized with `compute_dtype: bf16` is trained and used with.
    public func roundingQuantizedToBF16() -> BitsAndBytesWeights {
        BitsAndBytesWeights(dense: dense, quantized: quantized.mapValues { BF16RoundedWeight($0) })
    }

    private init(dense: SafetensorsWeights, quantized: [String: any DequantizableWeight]) {
        self.dense = dense
        self.quantized = quantized
    }

    /// Module paths of the 4-bit (a `weight.quant_state.bitsandbytes__*` tensor) and 8-bit (a
    /// `SCB` tensor) Linears of `checkpoint`, sorted.
    public static func quantizedModules(_ checkpoint: SafetensorsCheckpoint) -> (fourBit: [String], int8: [String]) {
        var fourBit: [String] = [], int8: [String] = []
        for name in checkpoint.tensorNames {
            if let range = name.range(of: fourBitStateMarker) { fourBit.append(String(name[..<range.lowerBound])) }
            if name.hasSuffix(".SCB") { int8.append(String(name.dropLast(4))) }
        }
        return (fourBit.sorted(), int8.sorted())
    }

    /// Whether `checkpoint` holds any bitsandbytes-quantized Linear.
    public static func isQuantized(_ checkpoint: SafetensorsCheckpoint) -> Bool {
        let modules = quantizedModules(checkpoint)
        return !modules.fourBit.isEmpty || !modules.int8.isEmpty
    }

    public func contains(_ name: String) -> Bool {
        guard name.hasSuffix(".weight") else { return dense.contains(name) }
        return quantized[String(name.dropLast(7))] != nil || dense.contains(name)
    }

    /// The tensor `name`; a quantized Linear's `weight` comes back dequantized to f32 (out, in).
    public func tensor(_ name: String) throws -> Tensor {
        guard name.hasSuffix(".weight"), let weight = quantized[String(name.dropLast(7))] else { return try dense.tensor(name) }
        var values = [Float](repeating: 0, count: weight.elementCount)
        try values.withUnsafeMutableBufferPointer { try weight.dequantize(intoFloats: $0) }
        return Tensor.host(values, shape: Shape(weight.shape))
    }

    private static func checkpointTensor(_ name: String, _ checkpoint: SafetensorsCheckpoint) throws -> CheckpointTensor {
        let (file, info) = try checkpoint.requireTensor(name)
        guard let dtype = info.dtype.computeDType else {
            throw RunnerError(file.fileName, "tensor `\(name)` has dtype \(info.dtype.rawValue), not one bitsandbytes writes")
        }
        return CheckpointTensor(name: name, dtype: dtype, shape: info.shape, bytes: [UInt8](file.bytes(of: info)))
    }
}
