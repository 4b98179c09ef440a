// TensorBoard event files: runner's bytes equal TensorBoard's own RecordWriter + Event protos for the
// same scalars (Fixtures/tensorboard from tools/reference/tensorboard_check.py), and the TFRecord
// reader checks both CRCs.
import Foundation
import Testing
@testable import Reports

private struct ScalarFixture: Decodable {
    struct Scalar: Decodable { var tag: String; var step: Int; var value: Double; var wall_time: Double }
    var created: Double
    var scalars: [Scalar]
}

private func fixture() throws -> (bytes: [UInt8], scalars: ScalarFixture) {
    let bytes = [UInt8](try Fixtures.data("tensorboard/events.out.tfevents.fixture"))
    let scalars = try JSONDecoder().decode(ScalarFixture.self, from: Fixtures.data("tensorboard/scalars.json"))
    return (bytes, scalars)
}

@Test func crc32cMatchesTheStandardCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // RFC 3720 check value
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
}

@Test func eventFileBytesEqualTensorBoardsOwnWriter() throws {
    let (bytes, fixture) = try fixture()
    var series: [String: [ScalarPoint]] = [:]
    for s in fixture.scalars { series[s.tag, default: []].append(ScalarPoint(step: s.step, value: s.value, wallTime: s.wall_time)) }
    #expect(EventFileWriter.encode(series, createdAt: fixture.created) == bytes)
}

@Test func tfRecordReaderSplitsTensorBoardsFileAndRejectsCorruption() throws {
    let (bytes, fixture) = try fixture()
    let records = try TFRecord.records(in: bytes)
    #expect(records.count == fixture.scalars.count + 1)
    #expect(records[0] == EventProto.fileVersion(wallTime: fixture.created))
    let first = fixture.scalars[0]
    #expect(records[1] == EventProto.scalars([(first.tag, Float(first.value))], step: Int64(first.step), wallTime: first.wall_time))

    var flipped = bytes
    flipped[30] ^= 0x01  // inside the first record's data
    #expect(throws: TFRecordError.self) { try TFRecord.records(in: flipped) }
    #expect((try? TFRecord.records(in: Array(bytes.dropLast(2)))) == nil)
    var badLength = bytes
    badLength[0] ^= 0x40
    #expect(throws: TFRecordError(offset: 8, message: "length CRC mismatch")) { try TFRecord.records(in: badLength) }
}

@Test func varintsEncodeLikeProtobuf() {
    #expect(EventProto.varint(0) == [0])
    #expect(EventProto.varint(1) == [1])
    #expect(EventProto.varint(300) == [0xAC, 0x02])
    #expect(EventProto.varint(UInt64.max).count == 10)
}

@Test func writeNamesTheFileLikeTensorBoardAndWritesTheBytes() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runner-tb-\(UUID().uuidString)/train")
    defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
    let series = ["loss": [ScalarPoint(step: 1, value: 2.5, wallTime: 1_763_800_001), ScalarPoint(step: 2, value: 2.25, wallTime: 1_763_800_002)]]
    let url = try EventFileWriter.write(series, to: directory, createdAt: Date(timeIntervalSince1970: 1_763_800_000.5))
    #expect(url.lastPathComponent.hasPrefix("events.out.tfevents.1763800000."))
    let records = try TFRecord.records(in: [UInt8](try Data(contentsOf: url)))
    #expect(records.count == 3)
}
