// Parity of GGUF block dequantization with the gguf Python package, for every supported type,
// on blocks produced by tools/reference/gguf_fixtures.py. Exact: the arithmetic is defined.
import Foundation
import Quant
import Testing

struct GGUFDequantizeTests {
    struct Case: Decodable { let type: String; let count: Int; let source: Bool }

    static func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Fixtures.data("gguf/quant/index.json"))
    }

    static func type(named name: String) -> GGMLType? { GGMLType.allCases.first { $0.description == name } }

    @Test func everySupportedTypeHasAFixture() throws {
        let covered = Set(try Self.cases().compactMap { Self.type(named: $0.type) })
        let needed = GGUFQuant.dequantizableTypes.subtracting([.f32])
        #expect(needed.isSubset(of: covered), "missing fixtures for \(needed.subtracting(covered))")
    }

    @Test func dequantizeMatchesGGUFPackageExactly() throws {
        for fixture in try Self.cases() {
            let type = try #require(Self.type(named: fixture.type))
            let blocks = try Fixtures.data("gguf/quant/\(fixture.type).blocks")
            let expected = try Fixtures.floats("gguf/quant/\(fixture.type).f32")
            #expect(expected.count == fixture.count)
            #expect(expected.contains { $0 != 0 }, "fixture for \(type) is all zeros")
            let got = try blocks.withUnsafeBytes { try GGUFQuant.dequantize(type, from: $0, count: fixture.count) }
            let mismatch = zip(got, expected).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
            #expect(mismatch == nil, "\(type): value \(mismatch?.offset ?? -1) is \(mismatch?.element.0 ?? 0), gguf says \(mismatch?.element.1 ?? 0)")
            #expect(got.count == expected.count)
        }
    }

    @Test func largeTensorsSplitAcrossCoresGiveTheSameResult() throws {
        // Tile the Q4_1 fixture to > one 64 Ki-value chunk so the parallel path runs.
        let blocks = try Fixtures.data("gguf/quant/Q4_1.blocks")
        let expected = try Fixtures.floats("gguf/quant/Q4_1.f32")
        let copies = 300
        let tiled = Data((0 ..< copies).flatMap { _ in blocks })
        let got = try tiled.withUnsafeBytes { try GGUFQuant.dequantize(.q4_1, from: $0, count: expected.count * copies) }
        #expect(sameBits(got, Array((0 ..< copies).map { _ in expected }.joined())))
    }

    @Test func rejectsBadSizesAndUnsupportedTypes() throws {
        let bytes = [UInt8](repeating: 0x11, count: 100)
        bytes.withUnsafeBytes { raw in
            #expect(throws: (any Error).self) { try GGUFQuant.dequantize(.q8_0, from: raw, count: 33) }   // not whole blocks
            #expect(throws: (any Error).self) { try GGUFQuant.dequantize(.q8_0, from: raw, count: 96) }   // needs 102 bytes
            #expect(throws: (any Error).self) { try GGUFQuant.dequantize(.iq2_xxs, from: raw, count: 256) }
            #expect(throws: (any Error).self) { try GGUFQuant.dequantize(.f32, from: raw, count: -4) }
        }
    }
}
