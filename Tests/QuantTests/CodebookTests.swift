// Code tables against bitsandbytes' own (get_4bit_type, create_dynamic_map), bit for bit.
import Quant
import Testing

@Suite struct CodebookTests {
    @Test func fourBitTablesMatchBitsandbytes() throws {
        let f = try Fixtures.load()
        #expect(bits(QuantCodebooks.nf4) == (try f.words32("code.nf4")))
        #expect(bits(QuantCodebooks.fp4) == (try f.words32("code.fp4")))
        #expect(FourBitType.nf4.code == QuantCodebooks.nf4)
    }

    @Test func dynamicMapsMatchBitsandbytes() throws {
        let f = try Fixtures.load()
        #expect(bits(QuantCodebooks.dynamicSigned) == (try f.words32("code.dynamic_signed")))
        #expect(bits(QuantCodebooks.dynamicUnsigned) == (try f.words32("code.dynamic_unsigned")))
    }

    @Test func codebookRejectsUnsortedTables() {
        var code = QuantCodebooks.dynamicSigned
        code.swapAt(10, 11)
        #expect(throws: (any Error).self) { try BlockwiseCodebook(code: code) }
        #expect(throws: (any Error).self) { try BlockwiseCodebook(code: [0, 1]) }
    }
}
