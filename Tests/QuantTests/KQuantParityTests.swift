// K-quant bytes against the gguf package: runner's Q4_K/Q5_K/Q6_K bytes of a fixed input are the
// committed ones, and the gguf package's dequantizer (tools/reference/kquant_fixtures.py) reads
// them back to exactly the values runner's dequantizer gives.
import Foundation
import Quant
import Testing

@Suite struct KQuantParityTests {
    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/kquant") }
    static var sourceDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/kquant")
    }
    /// `RUNNER_UPDATE_KQUANT_FIXTURES=1` rewrites <type>.bin (then rerun tools/reference/kquant_fixtures.py).
    static var updating: Bool { ProcessInfo.processInfo.environment["RUNNER_UPDATE_KQUANT_FIXTURES"] == "1" }

    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    @Test(arguments: [GGMLType.q4_K, .q5_K, .q6_K])
    func bytesAreCommittedAndGGUFReadsThemAsWeDo(type: GGMLType) throws {
        let input = try Self.floats("input.bin")
        try #require(input.count == 4 * 512)
        let ours = try GGUFQuant.quantize(type, input)
        if Self.updating { try Data(ours).write(to: Self.sourceDirectory.appendingPathComponent("\(type).bin")) }
        let committed = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent("\(type).bin")))
        #expect(ours == committed, "\(type) bytes changed; if intended, regenerate (see tools/reference/kquant_fixtures.py)")

        let reference = try Self.floats("\(type).dequantized.bin")
        let back = try committed.withUnsafeBytes { try GGUFQuant.dequantize(type, from: $0, count: input.count) }
        #expect(back.count == reference.count)
        let mismatches = zip(back, reference).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(mismatches == 0, "\(type): \(mismatches) values differ from gguf.quants.dequantize")
        #expect(zip(back, input).contains { $0.0 != $0.1 }, "a lossy type should change some values")
    }
}
