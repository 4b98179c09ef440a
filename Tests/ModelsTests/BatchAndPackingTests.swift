// Batched and packed forwards must equal running each sequence alone: batch rows never mix,
// and with segment ids + reset positions, packed examples never attend to each other.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct BatchAndPackingTests {
    let dir = Paths.fixtures.appendingPathComponent("tiny/qwen2_bias_bf16")

    @Test func batchRowsEqualSingleRuns() throws {
        let a: [Int32] = [5, 80, 12, 200, 31, 7], b: [Int32] = [99, 3, 150, 42, 8, 250]
        let single = try LlamaModel.load(from: dir, backend: makeBackend(), maxSequence: 8, logits: .allPositions)
        let logitsA = single.backend.readFloats(try single.forward(tokens: a))
        single.resetCache()
        let logitsB = single.backend.readFloats(try single.forward(tokens: b))
        let batched = try LlamaModel.load(from: dir, backend: makeBackend(), maxBatch: 2, maxSequence: 8, logits: .allPositions)
        let both = batched.backend.readFloats(try batched.forward(tokens: a + b, batch: 2))
        #expect(maxAbsDifference(both, logitsA + logitsB) <= 1e-5)
        // Last-position logits of a batch, then one cached decode step for both rows.
        let last = try LlamaModel.load(from: dir, backend: makeBackend(), maxBatch: 2, maxSequence: 8)
        let lastLogits = last.backend.readFloats(try last.forward(tokens: Array(a.prefix(5)) + Array(b.prefix(5)), batch: 2))
        let vocab = last.config.vocabSize
        let step = last.backend.readFloats(try last.forward(tokens: [a[5], b[5]], batch: 2))
        #expect(maxAbsDifference(Array(lastLogits[0..<vocab]), Array(logitsA[4 * vocab..<5 * vocab])) <= 1e-5)
        #expect(maxAbsDifference(step, Array(logitsA[5 * vocab..<6 * vocab]) + Array(logitsB[5 * vocab..<6 * vocab])) <= 1e-5)
    }

    @Test func packedSequencesDoNotAttendAcrossSegments() throws {
        let a: [Int32] = [5, 80, 12], b: [Int32] = [99, 3, 150, 42]
        let model = try LlamaModel.load(from: dir, backend: makeBackend(), maxSequence: 8, logits: .allPositions)
        let logitsA = model.backend.readFloats(try model.forward(tokens: a))
        model.resetCache()
        let logitsB = model.backend.readFloats(try model.forward(tokens: b))
        model.resetCache()
        let packed = model.backend.readFloats(try model.forward(tokens: a + b, positions: [0, 1, 2, 0, 1, 2, 3],
                                                                segmentIds: [0, 0, 0, 1, 1, 1, 1]))
        #expect(maxAbsDifference(packed, logitsA + logitsB) <= 1e-5)
        model.resetCache()
        let unmasked = model.backend.readFloats(try model.forward(tokens: a + b, positions: [0, 1, 2, 0, 1, 2, 3]))
        #expect(maxAbsDifference(unmasked, logitsA + logitsB) > 1e-3, "without segment ids the second example sees the first")
    }

    @Test func cacheOverflowIsAClearError() throws {
        let model = try LlamaModel.load(from: dir, backend: makeBackend(), maxSequence: 4)
        try model.forward(tokens: [1, 2, 3])
        #expect(throws: (any Error).self) { try model.forward(tokens: [4, 5]) }
        do { try model.forward(tokens: [4, 5]) } catch {
            #expect("\(error)".contains("the KV cache holds 4 tokens; 3 cached + 2 new do not fit"))
        }
        model.resetCache()
        do { try model.forward(tokens: [300]) } catch {
            #expect("\(error)".contains("token 300 at index 0 is outside the vocabulary (0..<256)"))
        }
    }
}
