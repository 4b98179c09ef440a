// How `train` feeds dataset batches to the model: the dataset's shifted targets become transformers'
// unshifted labels, so the model's own shift gives back exactly the dataset's targets.
import Data
import Foundation
import Models
@testable import Stages
import Testing

@Test func datasetTargetsBecomeLabelsTheModelShiftsBack() throws {
    let examples = [
        TokenizedExample(ids: [5, 6, 7], trained: [false, true, true]),
        TokenizedExample(ids: [8, 9], trained: [false, true]),
        TokenizedExample(ids: [10, 11, 12, 13, 14, 15], trained: [false, false, true, true, true, true]),
    ]
    let bytes = try DatasetArtifactWriter.encode(examples: examples, rows: [[0, 1], [2]], maxSequenceLength: 16,
                                                 vocabularySize: 100, packed: true)
    let artifact = try DatasetArtifact(data: bytes, name: "packed.bin")
    let batch = artifact.batch([0, 1], padId: 0)
    let training = TrainBatches.trainingBatch(batch)
    #expect(training.batchSize == 2 && training.sequenceLength == 6)
    #expect(training.shiftedTargets == batch.targets)
    // Row 0 packs [5 6 7 | 8 9] + padding: 7 must not predict 8 (another example), padding predicts nothing.
    #expect(Array(training.labels[0..<6]) == [-100, 6, 7, -100, 9, -100])
    #expect(Array(training.shiftedTargets[0..<6]) == [6, 7, -100, 9, -100, -100])
    #expect(training.segmentIds.map { Array($0[0..<6]) } == [0, 0, 0, 1, 1, -1])
    #expect(training.positions.map { Array($0[0..<6]) } == [0, 1, 2, 0, 1, 0])
    #expect(training.targetTokenCount == 3 + 4)
    #expect(TrainBatches.realTokens(training) == 5 + 6)
}
