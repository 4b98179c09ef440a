// The HF bitsandbytes checkpoint layout against what transformers' save_pretrained wrote for a
// tiny 4-bit Llama: same tensor names, dtypes, shapes and bytes; same quantization_config.
import Basics
import Compute
import Foundation
import Quant
import Testing

@Suite struct BitsAndBytesLayoutTests {
    @Test func qProjTensorsMatchTransformers() throws {
        let f = try Fixtures.load()
        let hf = f.meta["hf"] as! [String: Any]
        let prefix = hf["prefix"] as! String
        let shape = hf["shape"] as! [Int]
        let input = try FixtureInput(f, "hf.input")
        let weight = try input.with { try FourBitWeight(quantizing: $0, shape: shape, type: .nf4, blockSize: 64, doubleQuant: true) }
        let tensors = BitsAndBytesLayout.tensors(for: weight, prefix: prefix)

        let expected = hf["tensors"] as! [[String: Any]]
        #expect(Set(tensors.map(\.name)) == Set(expected.map { $0["name"] as! String }))
        for e in expected {
            let name = e["name"] as! String
            let t = try #require(tensors.first { $0.name == name })
            let dtype: DType = switch e["dtype"] as! String { case "u8": .u8; case "f32": .f32; default: .i64 }
            #expect(t.dtype == dtype, "\(name) dtype")
            #expect(t.shape == e["shape"] as! [Int], "\(name) shape")
            let bytes = try f.bytes("hf." + name)
            #expect(t.bytes == bytes, "\(name) bytes: \(firstMismatch(t.bytes, bytes))")
        }
    }

    @Test func quantizationConfigMatchesTransformers() throws {
        let f = try Fixtures.load()
        let hf = f.meta["hf"] as! [String: Any]
        let config = BitsAndBytesLayout.quantizationConfig(type: .nf4, doubleQuant: true, computeDType: .bf16)
        let ours = try JSONSerialization.jsonObject(with: Data(try config.jsonText().utf8)) as! NSDictionary
        #expect(ours == (hf["quantizationConfig"] as! NSDictionary))
    }

    @Test func pythonFloatReprMatchesPython() throws {
        let f = try Fixtures.load()
        for pair in f.meta["pythonRepr"] as! [[Any]] {
            let value = Double(bitPattern: UInt64(pair[0] as! String, radix: 16)!)
            #expect(BitsAndBytesLayout.pythonRepr(value) == pair[1] as! String)
        }
    }

    @Test func plainAbsmaxLayoutHasNoNestedTensors() throws {
        let values = (0..<128).map { Float(($0 * 37) % 101) / 100 - 0.5 }
        let weight = try values.withUnsafeBufferPointer {
            try FourBitWeight(quantizing: .f32($0), shape: [4, 32], type: .fp4, blockSize: 32, doubleQuant: false)
        }
        let tensors = BitsAndBytesLayout.tensors(for: weight, prefix: "lm")
        #expect(tensors.map(\.name) == ["lm.weight", "lm.weight.absmax", "lm.weight.quant_map", "lm.weight.quant_state.bitsandbytes__fp4"])
        #expect(tensors[1].dtype == .f32 && tensors[1].shape == [4])
        #expect(BitsAndBytesLayout.quantStateJSON(for: weight) == #"{"quant_type": "fp4", "blocksize": 32, "dtype": "float32", "shape": [4, 32]}"#)
    }
}

@Suite struct BitsAndBytesCheckpointTests {
    func fixtureTensors() throws -> (prefix: String, tensors: [CheckpointTensor]) {
        let f = try Fixtures.load()
        let hf = f.meta["hf"] as! [String: Any]
        let tensors = try (hf["tensors"] as! [[String: Any]]).map { e -> CheckpointTensor in
            let name = e["name"] as! String
            return CheckpointTensor(name: name, dtype: e["dtype"] as! String == "f32" ? .f32 : .u8,
                                    shape: e["shape"] as! [Int], bytes: try f.bytes("hf." + name))
        }
        return (hf["prefix"] as! String, tensors)
    }

    /// transformers' tensors → weight → tensors gives the same bytes, and the weight dequantizes
    /// to what quantizing the original bf16 weight gives.
    @Test func roundTripsTransformersCheckpoint() throws {
        let (prefix, tensors) = try fixtureTensors()
        let weight = try BitsAndBytesLayout.weight(from: tensors, prefix: prefix)
        #expect(weight.shape == [64, 64] && weight.type == .nf4 && weight.blockSize == 64 && weight.dtype == .bf16)
        let again = BitsAndBytesLayout.tensors(for: weight, prefix: prefix)
        #expect(Dictionary(uniqueKeysWithValues: again.map { ($0.name, $0) }) == Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) }))

        let f = try Fixtures.load()
        let input = try FixtureInput(f, "hf.input")
        let ours = try input.with { try FourBitWeight(quantizing: $0, shape: [64, 64], type: .nf4, blockSize: 64, doubleQuant: true) }
        #expect(bits(try weight.dequantized()) == bits(try ours.dequantized()))
    }

    @Test func damagedCheckpointsAreNamed() throws {
        let (prefix, tensors) = try fixtureTensors()
        let noState = tensors.filter { !$0.name.contains("quant_state") }
        let missing = #expect(throws: RunnerError.self) { try BitsAndBytesLayout.weight(from: noState, prefix: prefix) }
        #expect(missing?.context == prefix + ".weight.quant_state.bitsandbytes__nf4")

        var badMap = tensors
        let i = try #require(badMap.firstIndex { $0.name.hasSuffix(".weight.quant_map") })
        badMap[i].bytes[0] ^= 1
        let map = #expect(throws: RunnerError.self) { try BitsAndBytesLayout.weight(from: badMap, prefix: prefix) }
        #expect(map?.context == prefix + ".weight.quant_map")

        var truncated = tensors
        let w = try #require(truncated.firstIndex { $0.name == prefix + ".weight" })
        truncated[w].bytes.removeLast(2)
        truncated[w].shape = [truncated[w].bytes.count, 1]
        let size = #expect(throws: RunnerError.self) { try BitsAndBytesLayout.weight(from: truncated, prefix: prefix) }
        #expect(size?.message.contains("needs 2048 packed bytes") == true)
    }
}
