// The tokenized-dataset file: round trip, segment/position ids and shifted targets for packed rows,
// and strict rejection of damaged files.
import Foundation
import Testing
@testable import Data

@Suite struct ArtifactTests {
    let examples = [
        TokenizedExample(ids: [5, 6, 7], trained: [false, true, true]),
        TokenizedExample(ids: [8, 9], trained: [true, true]),
        TokenizedExample(ids: [1, 2, 3, 4], trained: [false, false, true, true]),
    ]

    func packedFile() throws -> Foundation.Data {
        try DatasetArtifactWriter.encode(examples: examples, rows: [[2], [0, 1]], maxSequenceLength: 6, vocabularySize: 16, packed: true)
    }

    @Test func packedRowsRoundTripWithSegmentsPositionsAndTargets() throws {
        let artifact = try DatasetArtifact(data: try packedFile(), name: "train.bin")
        #expect(artifact.rowCount == 2 && artifact.exampleCount == 3 && artifact.tokenCount == 9 && artifact.isPacked)
        let row = artifact.row(1)
        #expect(row.ids == [5, 6, 7, 8, 9])
        #expect(row.segmentIds == [0, 0, 0, 1, 1])
        #expect(row.positionIds == [0, 1, 2, 0, 1])
        #expect(row.labels == [-100, 6, 7, 8, 9])
        // Token 7 is the last of its example: it must not predict token 8 of the next one.
        #expect(row.shiftedTargets == [6, 7, -100, 9, -100])
        #expect(artifact.row(0).positionIds == [0, 1, 2, 3])
        let batch = artifact.batch([0, 1], padId: 0)
        #expect(batch.length == 5 && batch.batchSize == 2)
        #expect(batch.ids == [1, 2, 3, 4, 0, 5, 6, 7, 8, 9])
        #expect(batch.targets == [-100, 3, 4, -100, -100, 6, 7, -100, 9, -100])
        #expect(batch.segmentIds == [0, 0, 0, 0, -1, 0, 0, 0, 1, 1])
    }

    func expectRejected(_ mutate: (inout [UInt8]) -> Void, _ fragment: String) throws {
        var bytes = [UInt8](try packedFile())
        mutate(&bytes)
        let message = Support.message { _ = try DatasetArtifact(data: Foundation.Data(bytes), name: "train.bin") }
        #expect(message.contains(fragment), "\(message)")
        #expect(message.hasPrefix("train.bin: "))
    }

    @Test func damagedFilesAreRejectedWithWhereAndWhat() throws {
        try expectRejected({ $0[0] = UInt8(ascii: "X") }, "bad magic")
        try expectRejected({ $0[8] = 2 }, "format version 2")
        try expectRejected({ $0[12] = 4 }, "unknown flags")
        try expectRejected({ $0.removeLast(8) }, "the file has")
        try expectRejected({ $0.removeLast($0.count - 50) }, "too short (50 bytes)")
        try expectRejected({ $0[16] = 0xFF }, "do not fit")
        try expectRejected({ $0[48] = 0 }, "row starts offset")
        // Token 0 id → 99, beyond the vocabulary of 16 (tokens start after 96 + 3×8 + 4×8 bytes).
        try expectRejected({ $0[96 + 24 + 32] = 99 }, "outside the vocabulary of 16")
        // Trained flags start at the next multiple of 8 after the 36 token bytes: 152 + 36 → 192.
        try expectRejected({ $0[192 + 1] = 2 }, "trained flag of token 1 (byte 193) is 2, expected 0 or 1")
        // Row 1 starts at token 4 → make it 9 (= end): row 1 empty.
        try expectRejected({ $0[96 + 8] = 9 }, "row 1 is empty or out of order")
        try expectRejected({ $0[40] = 3 }, "more than the maximum 3")
    }

    @Test func unpackedFilesHoldOneExamplePerRow() throws {
        let data = try DatasetArtifactWriter.encode(examples: examples, rows: [[0], [1], [2]], maxSequenceLength: 4, vocabularySize: 16, packed: false)
        let artifact = try DatasetArtifact(data: data, name: "x")
        #expect(!artifact.isPacked && artifact.rowCount == 3)
        #expect((0..<3).map { artifact.row($0).ids } == examples.map(\.ids))
        let mislabeled = try DatasetArtifactWriter.encode(examples: examples, rows: [[0, 1], [2]], maxSequenceLength: 6, vocabularySize: 16, packed: false)
        #expect(Support.message { _ = try DatasetArtifact(data: mislabeled, name: "x") }.contains("not marked packed"))
    }
}
