// LLM.int8() row-wise quantization against bitsandbytes' int8_vectorwise_quant / _dequant.
import Compute
import Quant
import Testing

@Suite struct Int8RowWiseTests {
    static var caseNames: [String] { ((try? Fixtures.load())?.cases("int8") ?? []).map { $0["name"] as! String } }

    @Test(arguments: caseNames)
    func matchesBitsandbytes(name: String) throws {
        let f = try Fixtures.load()
        let meta = try #require(f.cases("int8").first { $0["name"] as? String == name })
        let shape = meta["shape"] as! [Int]
        let threshold = Float(meta["threshold"] as! Double)
        let p = "int8." + name
        let input = try FixtureInput(f, p + ".input")
        let q = try input.with { try Int8RowWise(quantizing: $0, rows: shape[0], columns: shape[1], threshold: threshold) }
        let expected = try f.int8s(p + ".q")
        #expect(q.values == expected, "values: \(firstMismatch(q.values, expected))")
        #expect(bits(q.rowAbsmax) == (try f.words32(p + ".stats")))
        #expect(q.outlierColumns == meta["outlierColumns"] as! [Int])
        #expect(bits(try q.dequantized()) == (try f.words32(p + ".dequant")))
    }

    @Test func badShapeIsAnError() {
        let x: [Float] = [1, 2, 3]
        x.withUnsafeBufferPointer { v in
            let error = #expect(throws: (any Error).self) { try Int8RowWise(quantizing: .f32(v), rows: 2, columns: 2) }
            #expect("\(error!)".contains("(2, 2)"))
        }
    }
}
