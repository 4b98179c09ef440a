// Blockwise 8-bit dynamic quantization (8-bit optimizer states) and nested absmax, against
// bitsandbytes' CPU kernel: codes, absmax and dequantized values bit-identical.
import Compute
import Quant
import Testing

@Suite struct Blockwise8BitTests {
    static var caseNames: [String] { ((try? Fixtures.load())?.cases("blockwise") ?? []).map { $0["name"] as! String } }

    @Test(arguments: caseNames)
    func matchesBitsandbytes(name: String) throws {
        let f = try Fixtures.load()
        let meta = try #require(f.cases("blockwise").first { $0["name"] as? String == name })
        let signed = meta["signed"] as! Bool
        let blockSize = meta["blocksize"] as! Int
        let codebook = signed ? BlockwiseCodebook.dynamicSigned : BlockwiseCodebook.dynamicUnsigned
        let p = "blockwise." + name
        let input = try FixtureInput(f, p + ".input")
        let n = meta["count"] as! Int
        var codes = [UInt8](repeating: 0, count: n)
        var absmax = [Float](repeating: 0, count: Blockwise8Bit.blockCount(n, blockSize: blockSize))
        try input.with { x in
            try codes.withUnsafeMutableBufferPointer { c in
                try absmax.withUnsafeMutableBufferPointer { a in
                    try Blockwise8Bit.quantize(x, codebook: codebook, blockSize: blockSize, codes: c, absmax: a)
                }
            }
        }
        let expectedCodes = try f.bytes(p + ".q")
        #expect(codes == expectedCodes, "codes: \(firstMismatch(codes, expectedCodes))")
        #expect(bits(absmax) == (try f.words32(p + ".absmax")))

        let deq = try Blockwise8Bit.dequantize(codes: codes, absmax: absmax, code: codebook.code, blockSize: blockSize)
        let expected = try f.words32(p + ".dequant_f32")
        #expect(bits(deq) == expected, "dequant: \(firstMismatch(bits(deq), expected))")
        var half = [UInt16](repeating: 0, count: n)
        try codes.withUnsafeBufferPointer { c in
            try absmax.withUnsafeBufferPointer { a in
                try half.withUnsafeMutableBufferPointer { h in
                    try Blockwise8Bit.dequantize(codes: c, absmax: a, code: codebook.code, blockSize: blockSize, into: .bf16(h))
                }
            }
        }
        #expect(half == (try f.halves(p + ".dequant_bf16")))
    }

    static var nestedNames: [String] { ((try? Fixtures.load())?.cases("nested") ?? []).map { $0["name"] as! String } }

    /// Double quantization of an absmax vector: the offset is torch's float32 mean (its summation
    /// order matters for the last bit), then blocks of 256 with the signed dynamic map.
    @Test(arguments: nestedNames)
    func nestedAbsmaxMatchesBitsandbytes(name: String) throws {
        let f = try Fixtures.load()
        let absmax = try f.floats(name + ".absmax")
        let nested = try NestedAbsmax(compressing: absmax)
        #expect(nested.offset.bitPattern == (try f.words32(name + ".offset"))[0])
        let expectedCodes = try f.bytes(name + ".q")
        #expect(nested.codes == expectedCodes, "codes: \(firstMismatch(nested.codes, expectedCodes))")
        #expect(bits(nested.nestedAbsmax) == (try f.words32(name + ".nested_absmax")))
        #expect(bits(nested.dequantize()) == (try f.words32(name + ".dequant")))
    }

    @Test func torchSumMatchesMeanOffsets() throws {
        // Small counts take torch's scalar path, larger ones the 8-lane cascade; offsets above
        // cover 300…4099 values, these the edge sizes against a double-precision sum.
        for n in [1, 3, 7, 8, 9, 31, 64, 257] {
            let x = (0..<n).map { Float(0.01) + Float($0 % 17) * 0.003 }
            let exact = x.reduce(0.0) { $0 + Double($1) }
            let got = x.withUnsafeBufferPointer { TorchFloatSum.sum($0) }
            #expect(abs(Double(got) - exact) <= 1e-6 * exact, "n=\(n)")
        }
    }

    @Test func sizeMismatchesAreErrors() throws {
        let x: [Float] = [1, 2, 3]
        var codes = [UInt8](repeating: 0, count: 3)
        var absmax = [Float](repeating: 0, count: 2)
        x.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer { c in
                absmax.withUnsafeMutableBufferPointer { a in
                    let error = #expect(throws: (any Error).self) {
                        try Blockwise8Bit.quantize(.f32(v), codebook: .dynamicSigned, blockSize: 256, codes: c, absmax: a)
                    }
                    #expect("\(error!)".contains("expected 1"))
                }
            }
        }
    }
}
