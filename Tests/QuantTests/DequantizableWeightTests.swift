// The frozen-base view training uses: NF4 and int8 weights dequantize through one protocol to the
// same values as their own dequantizers, and the bf16 compute dtype rounds those values to bf16.
import Compute
import Foundation
import Quant
import Testing

@Suite struct DequantizableWeightTests {
    let values: [Float] = (0..<512).map { (i: Int) -> Float in
        let wave = Float(sin(Double(i) * 0.37))
        return wave * Float(1 + i % 7) / 8
    }

    @Test func fourBitAndInt8DequantizeThroughTheProtocol() throws {
        let fourBit = try values.withUnsafeBufferPointer { try FourBitWeight(quantizing: .f32($0), shape: [8, 64]) }
        let int8 = try values.withUnsafeBufferPointer { try Int8RowWise(quantizing: .f32($0), rows: 8, columns: 64) }
        let cases: [(any DequantizableWeight, [Float])] = [(fourBit, try fourBit.dequantized()), (int8, try int8.dequantized())]
        for (weight, expected) in cases {
            #expect(weight.shape == [8, 64] && weight.elementCount == 512)
            var out = [Float](repeating: .nan, count: 512)
            try out.withUnsafeMutableBufferPointer { try weight.dequantize(intoFloats: $0) }
            #expect(out == expected)
        }
    }

    @Test func aBF16WeightDequantizesToBF16AsBitsandbytesDoes() throws {
        let bits = values.map(FloatConversion.floatToBF16)
        let weight = try bits.withUnsafeBufferPointer { try FourBitWeight(quantizing: .bf16($0), shape: [8, 64]) }
        var expected = [UInt16](repeating: 0, count: 512)
        try expected.withUnsafeMutableBufferPointer { try weight.dequantize(into: .bf16($0)) }
        var out = [Float](repeating: .nan, count: 512)
        try out.withUnsafeMutableBufferPointer { try weight.dequantize(intoFloats: $0) }
        #expect(out == expected.map(FloatConversion.bf16ToFloat))
        #expect(out != (try weight.dequantized()), "f32 dequantization is not bf16-representable everywhere")
    }

    @Test func bf16ComputeRoundsTheDequantizedWeights() throws {
        let int8 = try values.withUnsafeBufferPointer { try Int8RowWise(quantizing: .f32($0), rows: 8, columns: 64) }
        let exact = try int8.dequantized()
        var rounded = [Float](repeating: .nan, count: 512)
        try rounded.withUnsafeMutableBufferPointer { try BF16RoundedWeight(int8).dequantize(intoFloats: $0) }
        #expect(rounded == exact.map { FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0)) })
        #expect(rounded != exact, "int8 × scale values are not all bf16-representable")
        #expect(zip(rounded, exact).allSatisfy { abs($0 - $1) <= abs($1) / 256 })
    }

    @Test func int8PartsFromACheckpointAreChecked() throws {
        #expect(throws: (any Error).self) { try Int8RowWise(rows: 2, columns: 2, values: [1, 2, 3], rowAbsmax: [1, 1]) }
        #expect(throws: (any Error).self) { try Int8RowWise(rows: 1, columns: 2, values: [1, 2], rowAbsmax: [.nan]) }
        let weight = try Int8RowWise(rows: 1, columns: 2, values: [127, -64], rowAbsmax: [2])
        let tensors = BitsAndBytesLayout.int8Tensors(for: weight, prefix: "m")
        #expect(tensors.map(\.name) == ["m.weight", "m.SCB", "m.weight_format"])
        let back = try BitsAndBytesLayout.int8Weight(from: tensors, prefix: "m")
        #expect(back == weight)
        #expect(throws: (any Error).self) { try BitsAndBytesLayout.int8Weight(from: Array(tensors.dropFirst()), prefix: "m") }
    }
}
