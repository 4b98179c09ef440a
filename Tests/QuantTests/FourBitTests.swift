// NF4 / FP4 quantization, double quantization and dequantization against bitsandbytes fixtures:
// packed bytes, absmax, nested statistics and dequantized values must be bit-identical.
import Compute
import Quant
import Testing

@Suite struct FourBitTests {
    static var caseNames: [String] { ((try? Fixtures.load())?.cases("fourBit") ?? []).map { $0["name"] as! String } }

    @Test(arguments: caseNames)
    func quantizeMatchesBitsandbytes(name: String) throws {
        let f = try Fixtures.load()
        let meta = try #require(f.cases("fourBit").first { $0["name"] as? String == name })
        let type = FourBitType(rawValue: meta["quantType"] as! String)!
        let blockSize = meta["blocksize"] as! Int
        let nested = meta["nested"] as! Bool
        let shape = meta["shape"] as! [Int]
        let p = "fourbit." + name
        let input = try FixtureInput(f, p + ".input")

        let weight = try input.with {
            try FourBitWeight(quantizing: $0, shape: shape, type: type, blockSize: blockSize, doubleQuant: nested)
        }
        let packed = try f.bytes(p + ".packed")
        #expect(weight.packed == packed, "packed: \(firstMismatch(weight.packed, packed))")
        let absmax = try f.words32(p + ".absmax")
        #expect(bits(weight.scales) == absmax, "absmax: \(firstMismatch(bits(weight.scales), absmax))")
        switch weight.absmax {
        case .plain(let values):
            #expect(!nested)
            #expect(bits(values) == absmax)
        case .nested(let n):
            #expect(nested)
            #expect(n.codes == (try f.bytes(p + ".qabsmax")))
            #expect(bits(n.nestedAbsmax) == (try f.words32(p + ".nested_absmax")))
            #expect(n.offset.bitPattern == (try f.words32(p + ".offset"))[0])
        }

        let expected32 = try f.words32(p + ".dequant_f32")
        let got32 = bits(try weight.dequantized())
        #expect(got32 == expected32, "dequant f32: \(firstMismatch(got32, expected32))")

        let dtype = meta["dtype"] as! String
        if dtype != "f32" {
            let expected16 = try f.halves(p + ".dequant")
            var got16 = [UInt16](repeating: 0, count: weight.count)
            try got16.withUnsafeMutableBufferPointer { try weight.dequantize(into: dtype == "bf16" ? .bf16($0) : .f16($0)) }
            #expect(got16 == expected16, "dequant \(dtype): \(firstMismatch(got16, expected16))")
        }
    }

    /// Any element range (odd starts and ends, crossing blocks) equals the slice of the whole.
    @Test func rangeDequantizationEqualsSlices() throws {
        let f = try Fixtures.load()
        let input = try FixtureInput(f, "fourbit.nf4_f32_37x50_b64.input")
        let weight = try input.with { try FourBitWeight(quantizing: $0, shape: [37, 50], type: .nf4, blockSize: 64, doubleQuant: true) }
        let whole = try weight.dequantized()
        for range in [0..<1, 1..<2, 3..<130, 63..<65, 64..<128, 101..<1850, 1849..<1850, 0..<1850] {
            var part = [Float](repeating: .nan, count: range.count)
            try part.withUnsafeMutableBufferPointer { try weight.dequantize(elements: range, into: .f32($0)) }
            #expect(bits(part) == bits(Array(whole[range])), "range \(range)")
            var half = [UInt16](repeating: 0, count: range.count)
            try half.withUnsafeMutableBufferPointer { try weight.dequantize(elements: range, into: .bf16($0)) }
            #expect(half == whole[range].map(FloatConversion.floatToBF16), "bf16 range \(range)")
        }
        var rows = [Float](repeating: 0, count: 3 * 50)
        try rows.withUnsafeMutableBufferPointer { try weight.dequantizeRows(5..<8, into: .f32($0)) }
        #expect(bits(rows) == bits(Array(whole[250..<400])))
    }

    @Test func badInputsGetClearErrors() throws {
        let values: [Float] = [0.5, -0.25, .nan, 1]
        values.withUnsafeBufferPointer { v in
            let nanError = #expect(throws: (any Error).self) { try FourBit.quantize(.f32(v), type: .nf4, blockSize: 64) }
            #expect("\(nanError!)".contains("element 2 is nan"))
            let sizeError = #expect(throws: (any Error).self) { try FourBit.quantize(.f32(v), type: .nf4, blockSize: 48) }
            #expect("\(sizeError!)".contains("invalid block size 48"))
            let shapeError = #expect(throws: (any Error).self) { try FourBitWeight(quantizing: .f32(v), shape: [3, 2]) }
            #expect("\(shapeError!)".contains("shape [3, 2]"))
        }
        let weight = try [Float](repeating: 0.5, count: 8).withUnsafeBufferPointer {
            try FourBitWeight(quantizing: .f32($0), shape: [2, 4], doubleQuant: false)
        }
        var out = [Float](repeating: 0, count: 4)
        out.withUnsafeMutableBufferPointer { o in
            #expect(throws: (any Error).self) { try weight.dequantizeRows(1..<3, into: .f32(o)) }
            #expect(throws: (any Error).self) { try weight.dequantize(into: .f32(o)) }
        }
        #expect(throws: (any Error).self) {
            try FourBitWeight(shape: [2, 4], type: .nf4, blockSize: 64, dtype: .f32, packed: [1, 2, 3], absmax: .plain([1]))
        }
    }
}
