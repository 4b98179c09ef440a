// Parity of GGUF block dequantization with the gguf Python package, for every supported type,
// on blocks produced by tools/reference/gguf_fixtures.py. Exact: the arithmetic is defined.
import struct Basics.SplitMix64
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

/// Quantization parity: the Swift quantizers reproduce the gguf package's blocks byte for byte
/// from the same f32 input.
struct GGUFQuantizeTests {
    @Test func quantizeMatchesGGUFPackageByteForByte() throws {
        var checked: Set<GGMLType> = []
        for fixture in try GGUFDequantizeTests.cases() where fixture.source {
            let type = try #require(GGUFDequantizeTests.type(named: fixture.type))
            let source = try Fixtures.floats("gguf/quant/\(fixture.type).source")
            let expected = [UInt8](try Fixtures.data("gguf/quant/\(fixture.type).blocks"))
            let got = try GGUFQuant.quantize(type, source)
            let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(got == expected, "\(type): first differing byte \(firstDifference ?? -1)")
            checked.insert(type)
        }
        // K-quants are not here: the gguf package has no K-quant quantizer (QuantTests' KQuantParityTests
        // checks runner's K-quant bytes through its dequantizer instead).
        #expect(GGUFQuant.quantizableTypes.subtracting([.f32, .q4_K, .q5_K, .q6_K]).isSubset(of: checked))
    }

    /// Error bounds: half a step for the min/max formats; one full step (3/16, 3/8) for Q5_0/Q4_0,
    /// whose signed scale clips the extreme of the opposite sign (as in ggml).
    @Test func quantizeRoundTripsWithinTheFormatsPrecision() throws {
        var rng = SplitMix64(seed: 42)
        let values = (0 ..< 4096).map { _ in Float.random(in: -3 ... 3, using: &rng) }
        for (type, tolerance) in [(GGMLType.f32, Float(0)), (.f16, 2e-3), (.bf16, 2e-2), (.q8_0, 0.02), (.q5_0, 0.19), (.q5_1, 0.1), (.q4_0, 0.38), (.q4_1, 0.25)] {
            let bytes = try GGUFQuant.quantize(type, values)
            let back = try bytes.withUnsafeBytes { try GGUFQuant.dequantize(type, from: $0, count: values.count) }
            let worst = zip(values, back).map { abs($0 - $1) }.max()!
            #expect(worst <= tolerance, "\(type): worst error \(worst)")
        }
        #expect(throws: (any Error).self) { try GGUFQuant.quantize(.q2_K, values) }  // not a type runner writes
        #expect(throws: (any Error).self) { try GGUFQuant.quantize(.q8_0, Array(values.prefix(33))) }
    }
}
