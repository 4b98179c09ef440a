// Micro-benchmark of the per-step hot paths (4-bit dequantization, 8-bit optimizer-state round
// trip). Not a test: runs only with QUANT_BENCH=1, e.g.
//   QUANT_BENCH=1 swift test -c release --filter QuantBenchmark
import Foundation
import Quant
import Testing

@Suite(.enabled(if: ProcessInfo.processInfo.environment["QUANT_BENCH"] != nil))
struct QuantBenchmark {
    /// Best-of-N wall time of `body`, in seconds.
    func time(_ repeats: Int = 7, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    @Test func fourBitDequantization() throws {
        for (rows, columns) in [(1536, 576), (4096, 4096)] {
            let n = rows * columns
            var state: UInt64 = 0x9E3779B97F4A7C15
            let values = (0..<n).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 20000
            }
            let weight = try values.withUnsafeBufferPointer {
                try FourBitWeight(quantizing: .f32($0), shape: [rows, columns], type: .nf4, blockSize: 64, doubleQuant: true)
            }
            var out32 = [Float](repeating: 0, count: n)
            var out16 = [UInt16](repeating: 0, count: n)
            let t32 = try time { try out32.withUnsafeMutableBufferPointer { try weight.dequantize(into: .f32($0)) } }
            let t16 = try time { try out16.withUnsafeMutableBufferPointer { try weight.dequantize(into: .bf16($0)) } }
            let tile = 64
            let tRows = try time {
                try out32.withUnsafeMutableBufferPointer { o in
                    for r in stride(from: 0, to: rows, by: tile) {
                        let range = r..<min(rows, r + tile)
                        try weight.dequantizeRows(range, into: .f32(UnsafeMutableBufferPointer(rebasing: o[(r * columns)...])))
                    }
                }
            }
            let tQuant = try time(3) {
                _ = try values.withUnsafeBufferPointer { try FourBitWeight(quantizing: .f32($0), shape: [rows, columns]) }
            }
            func rate(_ bytes: Int, _ t: Double) -> String { String(format: "%.2f GB/s", Double(bytes) / t / 1e9) }
            print("""
            [bench] NF4 \(rows)x\(columns) (\(n) elements, block 64, double quant):
              dequant → f32:  \(String(format: "%.3f ms", t32 * 1e3))  \(String(format: "%.2f", Double(n) / t32 / 1e9)) Gelem/s  \(rate(n * 4, t32)) written
              dequant → bf16: \(String(format: "%.3f ms", t16 * 1e3))  \(String(format: "%.2f", Double(n) / t16 / 1e9)) Gelem/s  \(rate(n * 2, t16)) written
              dequant rows in tiles of \(tile) → f32: \(String(format: "%.3f ms", tRows * 1e3))
              quantize (f32 → NF4 + double quant): \(String(format: "%.1f ms", tQuant * 1e3))
            """)
        }
    }

    @Test func blockwise8BitRoundTrip() throws {
        let n = 4_000_000
        let values = (0..<n).map { Float(($0 * 7919) % 10007) * 1e-6 - 5e-3 }
        var codes = [UInt8](repeating: 0, count: n)
        var absmax = [Float](repeating: 0, count: Blockwise8Bit.blockCount(n, blockSize: 256))
        var out = [Float](repeating: 0, count: n)
        let tq = try time {
            try values.withUnsafeBufferPointer { v in
                try codes.withUnsafeMutableBufferPointer { c in
                    try absmax.withUnsafeMutableBufferPointer { a in
                        try Blockwise8Bit.quantize(.f32(v), codebook: .dynamicSigned, blockSize: 256, codes: c, absmax: a)
                    }
                }
            }
        }
        let td = try time {
            try codes.withUnsafeBufferPointer { c in
                try absmax.withUnsafeBufferPointer { a in
                    try out.withUnsafeMutableBufferPointer { o in
                        try Blockwise8Bit.dequantize(codes: c, absmax: a, code: QuantCodebooks.dynamicSigned, blockSize: 256, into: .f32(o))
                    }
                }
            }
        }
        print(String(format: "[bench] blockwise 8-bit, %d elements, block 256: quantize %.2f ms (%.2f Gelem/s), dequantize %.2f ms (%.2f Gelem/s)",
                     n, tq * 1e3, Double(n) / tq / 1e9, td * 1e3, Double(n) / td / 1e9))
    }
}
