// The exact token batches every side of a cell trains on, in one file both sides read:
// little-endian int32, (steps, B, T), labels = tokens. Made from a seeded synthetic stream or from a
// text file tokenized with the model's tokenizer.
import Basics
import Foundation
import Models

public enum TokenBatches {
    /// `steps × batch × length` token ids from `data`.
    /// - Throws: `RunnerError` for an unreadable or empty text file.
    static func make(_ data: BenchData, model: String, vocabularySize: Int, steps: Int, batch: Int, length: Int) throws -> [Int32] {
        let count = steps * batch * length
        switch data {
        case .synthetic(let seed):
            var state = seed ^ 0x5EED_BA7C_4E5
            return (0..<count).map { _ in Int32(truncatingIfNeeded: splitMix(&state) % UInt64(vocabularySize)) }
        case .text(let path):
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw RunnerError(path, "cannot read the suite's text data: \(error.localizedDescription)")
            }
            let tokens = try ModelBundle.open(URL(fileURLWithPath: model)).tokenizer.encode(text, addSpecialTokens: false)
            guard !tokens.isEmpty else { throw RunnerError(path, "tokenizes to no tokens", hint: "give a non-empty text file") }
            // Consecutive windows of the stream, wrapping around when the text is shorter than the run.
            return (0..<count).map { tokens[$0 % tokens.count] }
        }
    }

    /// Writes `tokens` as little-endian int32.
    static func write(_ tokens: [Int32], to url: URL) throws {
        let bytes = tokens.withUnsafeBufferPointer { Data(buffer: $0) }   // little-endian hosts only (x86-64, arm64)
        try AtomicFile.write(bytes, to: url)
    }

    /// Reads step `step`'s (B, T) batch from a file written by `write`.
    /// - Throws: `RunnerError` when the file is shorter than the spec says.
    static func read(_ url: URL, batch: Int, length: Int, steps: Int) throws -> [[Int32]] {
        let data = try Data(contentsOf: url)
        let perStep = batch * length
        guard data.count == steps * perStep * 4 else {
            throw RunnerError(url.path, "holds \(data.count) bytes; \(steps) batches of \(batch) × \(length) int32 tokens need \(steps * perStep * 4)")
        }
        let all = data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
        return (0..<steps).map { Array(all[$0 * perStep..<($0 + 1) * perStep]) }
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
