// Reads a 4-bit Linear back from bitsandbytes checkpoint tensors (the inverse of
// `BitsAndBytesLayout.tensors`): parses the packed quant_state JSON and checks every size and map.
import Basics
import Compute
import Foundation

extension BitsAndBytesLayout {
    /// Rebuilds the 4-bit weight of the Linear at `prefix` from checkpoint tensors (other names are
    /// ignored). Throws, naming the tensor, when one is missing, has the wrong type or size, or uses
    /// a code table other than bitsandbytes' standard ones.
    public static func weight(from tensors: [CheckpointTensor], prefix: String) throws -> FourBitWeight {
        let base = prefix + ".weight"
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func tensor(_ suffix: String, _ dtype: DType) throws -> CheckpointTensor {
            guard let t = byName[base + suffix] else {
                throw RunnerError(base + suffix, "missing from the checkpoint", hint: "is this a bitsandbytes 4-bit checkpoint?")
            }
            guard t.dtype == dtype, t.bytes.count == t.shape.reduce(1, *) * dtype.size else {
                throw RunnerError(t.name, "expected \(dtype) data matching its shape \(t.shape), got \(t.dtype) with \(t.bytes.count) bytes")
            }
            return t
        }

        let stateNames = FourBitType.allCases.map { base + ".quant_state.bitsandbytes__" + $0.rawValue }.filter { byName[$0] != nil }
        guard stateNames.count == 1, let stateTensor = byName[stateNames[0]] else {
            throw RunnerError(base + ".quant_state.bitsandbytes__nf4", stateNames.isEmpty ? "missing from the checkpoint" : "found both nf4 and fp4 quant states",
                              hint: "expected exactly one packed quant_state per 4-bit weight")
        }
        let state = try QuantStateFields(json: stateTensor.bytes, name: stateTensor.name)
        guard state.type.rawValue == stateNames[0].split(separator: "_").last.map(String.init) else {
            throw RunnerError(stateTensor.name, "quant_type \(state.type.rawValue) does not match the tensor name")
        }

        let packed = try tensor("", .u8)
        let quantMap = try tensor(".quant_map", .f32)
        guard floats(quantMap.bytes).map(\.bitPattern) == state.type.code.map(\.bitPattern) else {
            throw RunnerError(quantMap.name, "is not bitsandbytes' \(state.type.rawValue) code table", hint: "custom 4-bit maps are not supported")
        }
        let absmax: AbsmaxStorage
        if let nested = state.nested {
            let codes = try tensor(".absmax", .u8)
            let nestedAbsmax = try tensor(".nested_absmax", .f32)
            let nestedMap = try tensor(".nested_quant_map", .f32)
            guard floats(nestedMap.bytes).map(\.bitPattern) == QuantCodebooks.dynamicSigned.map(\.bitPattern) else {
                throw RunnerError(nestedMap.name, "is not bitsandbytes' signed dynamic map", hint: "custom nested maps are not supported")
            }
            guard nested.blockSize == NestedAbsmax.blockSize else {
                throw RunnerError(stateTensor.name, "nested_blocksize \(nested.blockSize) is not supported (bitsandbytes uses 256)")
            }
            absmax = .nested(try NestedAbsmax(codes: codes.bytes, nestedAbsmax: floats(nestedAbsmax.bytes), offset: nested.offset))
        } else {
            absmax = .plain(floats(try tensor(".absmax", .f32).bytes))
        }
        do {
            return try FourBitWeight(shape: state.shape, type: state.type, blockSize: state.blockSize, dtype: state.dtype,
                                     packed: packed.bytes, absmax: absmax)
        } catch let error as RunnerError {
            throw RunnerError(base, error.message, hint: error.hint)
        }
    }

    static func floats(_ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count - 3, by: 4).map {
            Float(bitPattern: UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24)
        }
    }
}

/// The fields of a packed `quant_state` JSON.
struct QuantStateFields {
    var type: FourBitType
    var blockSize: Int
    var dtype: DType
    var shape: [Int]
    var nested: (blockSize: Int, offset: Float)?

    init(json: [UInt8], name: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw RunnerError(name, "does not hold a JSON object", hint: "it should be UTF-8 JSON written by bitsandbytes")
        }
        func field<T>(_ key: String, _ type: T.Type) throws -> T {
            guard let value = object[key] as? T else {
                throw RunnerError(name, "quant_state field \"\(key)\" is missing or not a \(T.self)")
            }
            return value
        }
        guard let type = FourBitType(rawValue: try field("quant_type", String.self)) else {
            throw RunnerError(name, "unknown quant_type \(object["quant_type"] ?? "")", hint: "expected nf4 or fp4")
        }
        let dtypeName = try field("dtype", String.self)
        guard let dtype = [DType.f32, .bf16, .f16].first(where: { BitsAndBytesLayout.torchName($0) == dtypeName }) else {
            throw RunnerError(name, "unsupported dtype \"\(dtypeName)\"", hint: "expected float32, bfloat16 or float16")
        }
        self.type = type
        self.blockSize = try field("blocksize", Int.self)
        self.dtype = dtype
        self.shape = try field("shape", [Int].self)
        if object["nested_absmax"] != nil || object["nested_blocksize"] != nil {
            let offset = try field("nested_offset", Double.self)
            self.nested = (try field("nested_blocksize", Int.self), Float(offset))
        } else {
            self.nested = nil
        }
    }
}
