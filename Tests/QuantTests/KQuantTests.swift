// The K-quant quantizers (Q4_K, Q5_K, Q6_K) on non-trivial data: round-trip error through the
// (gguf-verified) dequantizers, ordered by bits and below Q4_0's; block layouts and edge blocks.
import Foundation
import Quant
import Testing

/// Deterministic test data: Gaussian rows, heavy-tailed rows (Student-t with 2 degrees of freedom,
/// plus rare ×20 outliers) and rows with an offset, as real weight matrices have.
enum KQuantData {
    struct Generator {
        var state: UInt64
        mutating func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) + 0.5) / Float(1 << 24)
        }
        mutating func gaussian() -> Float {
            let u = uniform(), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * Float.pi * v)
        }
        /// Student-t, 2 degrees of freedom: heavy tails.
        mutating func heavyTailed() -> Float {
            let z = gaussian()
            let chi2 = gaussian() * gaussian() + gaussian() * gaussian()
            return z / (chi2 / 2).squareRoot()
        }
    }

    /// `rows` rows of 1024 values: gaussian, heavy-tailed with outliers, and shifted rows in turn, scaled like weights (~0.02).
    static func rows(_ rows: Int, seed: UInt64) -> [Float] {
        var g = Generator(state: seed)
        var out: [Float] = []
        out.reserveCapacity(rows * 1024)
        for r in 0 ..< rows {
            for _ in 0 ..< 1024 {
                switch r % 3 {
                case 0: out.append(0.02 * g.gaussian())
                case 1: out.append(0.02 * min(50, max(-50, g.heavyTailed())) * (g.uniform() < 0.002 ? 20 : 1))
                default: out.append(0.01 + 0.02 * g.gaussian())
                }
            }
        }
        return out
    }

    static func roundTrip(_ type: GGMLType, _ values: [Float]) throws -> [Float] {
        let bytes = try GGUFQuant.quantize(type, values)
        #expect(bytes.count == type.byteCount(forElements: values.count))
        return try bytes.withUnsafeBytes { try GGUFQuant.dequantize(type, from: $0, count: values.count) }
    }

    static func rmse(_ a: [Float], _ b: [Float]) -> Float {
        (zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Float(a.count)).squareRoot()
    }
}

@Suite struct KQuantTests {
    @Test func blockSizesAreGgmls() {
        #expect(GGMLType.q4_K.typeSize == 144 && GGMLType.q5_K.typeSize == 176 && GGMLType.q6_K.typeSize == 210)
        for type in [GGMLType.q4_K, .q5_K, .q6_K] {
            #expect(type.blockSize == 256)
            #expect(GGUFQuant.quantizableTypes.contains(type))
        }
    }

    /// Relative RMSE of each type on the rows of `kind` (0 Gaussian, 1 heavy-tailed, 2 shifted).
    func relativeErrors(kind: Int) throws -> [GGMLType: Float] {
        let all = KQuantData.rows(12, seed: 42)
        let values = (0 ..< 12).filter { $0 % 3 == kind }.flatMap { all[(1024 * $0) ..< (1024 * ($0 + 1))] }
        let rms = (values.reduce(Float(0)) { $0 + $1 * $1 } / Float(values.count)).squareRoot()
        var errors: [GGMLType: Float] = [:]
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q8_0, .q4_K, .q5_K, .q6_K] {
            errors[type] = KQuantData.rmse(values, try KQuantData.roundTrip(type, values)) / rms
        }
        print("relative RMSE, rows of kind \(kind): " + errors.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        return errors
    }

    @Test(arguments: [0, 2])
    func errorShrinksWithBitsAndBeatsQ4_0(kind: Int) throws {
        let e = try relativeErrors(kind: kind)
        let q4K = e[.q4_K]!, q5K = e[.q5_K]!, q6K = e[.q6_K]!
        // A fitted scale and offset per 32 values beats absmax Q4_0 and min–max Q4_1 at about the same bits.
        #expect(q4K < 0.9 * e[.q4_0]!, "Q4_K \(q4K) vs Q4_0 \(e[.q4_0]!)")
        #expect(q4K < e[.q4_1]!, "Q4_K \(q4K) vs Q4_1 \(e[.q4_1]!)")
        #expect(q5K < e[.q5_0]!, "Q5_K \(q5K) vs Q5_0 \(e[.q5_0]!)")
        // Each extra bit roughly halves the error.
        #expect(q5K < 0.65 * q4K, "Q5_K \(q5K) vs Q4_K \(q4K)")
        #expect(q6K < 0.65 * q5K, "Q6_K \(q6K) vs Q5_K \(q5K)")
        #expect(e[.q8_0]! < q6K)
        // Absolute bounds (a layout or packing slip would blow these up).
        #expect(q4K < 0.1 && q5K < 0.05 && q6K < 0.025, "Q4_K \(q4K), Q5_K \(q5K), Q6_K \(q6K)")
        #expect(q4K > 0.01, "a 4-bit type cannot be near lossless: \(q4K)")
    }

    @Test func heavyTailedRowsKeepTheOrder() throws {
        // Rare ×20 outliers dominate a super-block's scale, so every type loses precision around
        // them; the K-quants must still beat Q4_0 and keep their order.
        let e = try relativeErrors(kind: 1)
        #expect(e[.q4_K]! < e[.q4_0]!, "Q4_K \(e[.q4_K]!) vs Q4_0 \(e[.q4_0]!)")
        #expect(e[.q6_K]! < e[.q5_K]! && e[.q5_K]! < e[.q4_K]!, "Q6_K \(e[.q6_K]!), Q5_K \(e[.q5_K]!), Q4_K \(e[.q4_K]!)")
        #expect(e[.q6_K]! < 0.05)
    }

    @Test(arguments: [GGMLType.q4_K, .q5_K, .q6_K])
    func eachSubBlockLandsInItsOwnPlace(type: GGMLType) throws {
        // One super-block in which only sub-block `s` (of 32 values) is non-zero, for every s: the
        // values must come back at s's positions (the packing of scales, mins and high bits is per
        // sub-block) and every other value stays exactly 0.
        for s in 0 ..< 8 {
            var values = [Float](repeating: 0, count: 256)
            for l in 0 ..< 32 { values[32 * s + l] = Float(l - 13) * 0.01 + (l % 5 == 0 ? 0.07 : 0) }
            let back = try KQuantData.roundTrip(type, values)
            let step: Float = type == .q4_K ? 0.46 / 15 : type == .q5_K ? 0.46 / 31 : 0.38 / 63
            for i in 0 ..< 256 {
                if i / 32 == s {
                    #expect(abs(back[i] - values[i]) <= step, "\(type) sub-block \(s) value \(i): \(back[i]) vs \(values[i])")
                } else {
                    #expect(back[i] == 0, "\(type) sub-block \(s): value \(i) should stay 0, got \(back[i])")
                }
            }
        }
    }

    @Test(arguments: [GGMLType.q4_K, .q5_K, .q6_K])
    func constantAndEdgeBlocks(type: GGMLType) throws {
        // All zeros: an all-zero block that reads back as zeros.
        let zeros = try GGUFQuant.quantize(type, [Float](repeating: 0, count: 256))
        #expect(zeros.allSatisfy { $0 == 0 })
        // A negative constant (all offset, no spread) and a positive one.
        for c: Float in [-0.37, 0.25] {
            let back = try KQuantData.roundTrip(type, [Float](repeating: c, count: 256))
            #expect(back.allSatisfy { abs($0 - c) <= abs(c) * 0.02 }, "\(type) constant \(c): \(back.prefix(4))")
        }
        // One huge outlier among small values: the outlier survives, its sub-block neighbours stay small.
        var values = KQuantData.rows(1, seed: 7).prefix(256).map { $0 }
        values[77] = 3
        let back = try KQuantData.roundTrip(type, values)
        #expect(abs(back[77] - 3) < 0.15, "\(type): outlier came back as \(back[77])")
        #expect(KQuantData.rmse(Array(values[128...]), Array(back[128...])) < 0.01)
    }

    @Test func rejectsRaggedInput() {
        #expect(throws: (any Error).self) { try GGUFQuant.quantize(.q4_K, [Float](repeating: 0.5, count: 576)) }
    }

    @Test func quantizingIsDeterministicAcrossChunks() throws {
        // Large enough to be split over the cores: the bytes equal those of quantizing each row alone.
        let values = KQuantData.rows(96, seed: 3)
        let whole = try GGUFQuant.quantize(.q4_K, values)
        var rows: [UInt8] = []
        for r in 0 ..< 96 { rows += try GGUFQuant.quantize(.q4_K, Array(values[(1024 * r) ..< (1024 * (r + 1))])) }
        #expect(whole == rows)
    }
}
