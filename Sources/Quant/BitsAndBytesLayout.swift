// The Hugging Face bitsandbytes 4-bit checkpoint layout, as data: the tensors transformers'
// `save_pretrained` writes for one quantized Linear, the packed `quant_state` JSON, and the
// `quantization_config` of config.json. Writing the safetensors file itself is Formats' job.
import Basics
import Compute
import Foundation

/// One tensor to write into a safetensors file.
public struct CheckpointTensor: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Little-endian element bytes.
    public var bytes: [UInt8]

    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }
}

/// Names, types and JSON of bitsandbytes' serialized `Params4bit` (`QuantState.as_dict(packed=True)`).
public enum BitsAndBytesLayout {
    /// The tensors of a quantized Linear whose module path is `prefix` (e.g.
    /// `model.layers.0.self_attn.q_proj`), in `QuantState.as_dict` order:
    /// `weight` (u8, (bytes, 1)), `weight.absmax`, `weight.quant_map`, and when double-quantized
    /// `weight.nested_absmax`, `weight.nested_quant_map`; last `weight.quant_state.bitsandbytes__<type>`
    /// (u8 bytes of the JSON from `quantStateJSON`).
    public static func tensors(for weight: FourBitWeight, prefix: String) -> [CheckpointTensor] {
        let base = prefix + ".weight"
        var out = [CheckpointTensor(name: base, dtype: .u8, shape: [weight.packed.count, 1], bytes: weight.packed)]
        switch weight.absmax {
        case .plain(let absmax):
            out.append(CheckpointTensor(name: base + ".absmax", dtype: .f32, shape: [absmax.count], bytes: littleEndianBytes(absmax)))
            out.append(quantMap(base, weight.type))
        case .nested(let nested):
            out.append(CheckpointTensor(name: base + ".absmax", dtype: .u8, shape: [nested.codes.count], bytes: nested.codes))
            out.append(quantMap(base, weight.type))
            out.append(CheckpointTensor(name: base + ".nested_absmax", dtype: .f32, shape: [nested.nestedAbsmax.count],
                                        bytes: littleEndianBytes(nested.nestedAbsmax)))
            out.append(CheckpointTensor(name: base + ".nested_quant_map", dtype: .f32, shape: [256],
                                        bytes: littleEndianBytes(QuantCodebooks.dynamicSigned)))
        }
        let json = Array(quantStateJSON(for: weight).utf8)
        out.append(CheckpointTensor(name: base + ".quant_state.bitsandbytes__" + weight.type.rawValue,
                                    dtype: .u8, shape: [json.count], bytes: json))
        return out
    }

    /// The non-tensor quant state as bitsandbytes packs it: Python `json.dumps` of
    /// `{"quant_type", "blocksize", "dtype", "shape"[, "nested_blocksize", "nested_dtype", "nested_offset"]}`
    /// with its default `", "` / `": "` separators and `repr` floats.
    public static func quantStateJSON(for weight: FourBitWeight) -> String {
        var fields = [
            ("quant_type", "\"\(weight.type.rawValue)\""),
            ("blocksize", String(weight.blockSize)),
            ("dtype", "\"\(torchName(weight.dtype))\""),
            ("shape", "[" + weight.shape.map(String.init).joined(separator: ", ") + "]"),
        ]
        if case .nested(let nested) = weight.absmax {
            fields.append(("nested_blocksize", String(NestedAbsmax.blockSize)))
            fields.append(("nested_dtype", "\"float32\""))
            fields.append(("nested_offset", pythonRepr(Double(nested.offset))))
        }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// The `quantization_config` object transformers writes into config.json for a 4-bit model.
    public static func quantizationConfig(type: FourBitType, doubleQuant: Bool, computeDType: DType,
                                          skipModules: [String]? = nil) -> QuantizationConfig {
        QuantizationConfig(quantType: type, doubleQuant: doubleQuant, computeDType: torchName(computeDType), skipModules: skipModules)
    }

    /// torch's dtype name without the `torch.` prefix.
    public static func torchName(_ dtype: DType) -> String {
        switch dtype {
        case .f32: "float32"
        case .f16: "float16"
        case .bf16: "bfloat16"
        case .i8: "int8"
        case .u8: "uint8"
        case .i32: "int32"
        case .i64: "int64"
        }
    }

    /// Python's `repr(float)`: the shortest round-tripping digits, scientific notation when the
    /// decimal exponent is < -4 or ≥ 16 (`1e-05`, `1.5e+16`), else positional with at least `.0`.
    public static func pythonRepr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also prints the shortest round-tripping digits; re-lay them out.
        let text = "\(abs(value))"
        var mantissa = text, exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...])!
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var pointPosition = integer.count + exponent  // decimal point after this many digits
        let leadingZeros = digits.prefix(while: { $0 == "0" }).count
        digits.removeFirst(leadingZeros)
        pointPosition -= leadingZeros
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        let decimalExponent = pointPosition - 1
        let sign = value < 0 ? "-" : ""
        if decimalExponent < -4 || decimalExponent >= 16 {
            let head = String(digits.prefix(1)), tail = String(digits.dropFirst())
            let e = decimalExponent < 0 ? "-" + pad2(-decimalExponent) : "+" + pad2(decimalExponent)
            return sign + head + (tail.isEmpty ? "" : "." + tail) + "e" + e
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        }
        return sign + String(digits.prefix(pointPosition)) + "." + String(digits.dropFirst(pointPosition))
    }

    private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func quantMap(_ base: String, _ type: FourBitType) -> CheckpointTensor {
        CheckpointTensor(name: base + ".quant_map", dtype: .f32, shape: [16], bytes: littleEndianBytes(type.code))
    }

    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
        }
        return out
    }
}

/// transformers' `BitsAndBytesConfig` for 4-bit (or, with `loadIn8Bit`, 8-bit) loading, as serialized into config.json.
/// Encodes with the same keys and values (`null` included) as `BitsAndBytesConfig.to_dict()`.
public struct QuantizationConfig: Sendable, Equatable, Encodable {
    public var quantType: FourBitType
    public var doubleQuant: Bool
    /// torch dtype name, e.g. "bfloat16".
    public var computeDType: String
    /// Modules kept unquantized (`llm_int8_skip_modules`); nil writes `null`.
    public var skipModules: [String]?
    /// `load_in_8bit` instead of `load_in_4bit` (then the 4-bit fields keep transformers' defaults).
    public var loadIn8Bit = false

    private enum Key: String, CodingKey {
        case _load_in_4bit, _load_in_8bit, bnb_4bit_compute_dtype, bnb_4bit_quant_storage, bnb_4bit_quant_type,
             bnb_4bit_use_double_quant, llm_int8_enable_fp32_cpu_offload, llm_int8_has_fp16_weight,
             llm_int8_skip_modules, llm_int8_threshold, load_in_4bit, load_in_8bit, quant_method
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(!loadIn8Bit, forKey: ._load_in_4bit)
        try c.encode(loadIn8Bit, forKey: ._load_in_8bit)
        try c.encode(computeDType, forKey: .bnb_4bit_compute_dtype)
        try c.encode("uint8", forKey: .bnb_4bit_quant_storage)
        try c.encode(quantType.rawValue, forKey: .bnb_4bit_quant_type)
        try c.encode(doubleQuant, forKey: .bnb_4bit_use_double_quant)
        try c.encode(false, forKey: .llm_int8_enable_fp32_cpu_offload)
        try c.encode(false, forKey: .llm_int8_has_fp16_weight)
        if let skipModules { try c.encode(skipModules, forKey: .llm_int8_skip_modules) } else { try c.encodeNil(forKey: .llm_int8_skip_modules) }
        try c.encode(6.0, forKey: .llm_int8_threshold)
        try c.encode(!loadIn8Bit, forKey: .load_in_4bit)
        try c.encode(loadIn8Bit, forKey: .load_in_8bit)
        try c.encode("bitsandbytes", forKey: .quant_method)
    }

    /// Pretty JSON with sorted keys, as transformers writes config.json. `llm_int8_threshold` is
    /// written as `6.0`: JSONEncoder would write `6`, and transformers rejects an integer there.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(self), as: UTF8.self)
        return text.replacingOccurrences(of: "\"llm_int8_threshold\" : 6,", with: "\"llm_int8_threshold\" : 6.0,")
    }
}
