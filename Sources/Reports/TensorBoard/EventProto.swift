// The two TensorBoard `Event` protos runner writes, hand-encoded in protobuf wire format
// (tensorflow/core/util/event.proto, summary.proto):
//   Event { double wall_time = 1; int64 step = 2; oneof { string file_version = 3; Summary summary = 5; } }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }

public enum EventProto {
    /// The first record of every event file: `file_version: "brain.Event:2"`.
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        var out = wallTimeField(wallTime)
        out += lengthDelimited(field: 3, Array("brain.Event:2".utf8))
        return out
    }

    /// An event holding scalar summaries (`tag` → value) at `step`, fields in number order as protobuf
    /// serializers write them (so the bytes equal TensorBoard's own writer's).
    public static func scalars(_ values: [(tag: String, value: Float)], step: Int64, wallTime: Double) -> [UInt8] {
        var summary: [UInt8] = []
        for (tag, value) in values {
            var entry = lengthDelimited(field: 1, Array(tag.utf8))
            entry += key(field: 2, wireType: 5) + TFRecord.littleEndian(value.bitPattern)
            summary += lengthDelimited(field: 1, entry)
        }
        var out = wallTimeField(wallTime)
        if step != 0 { out += key(field: 2, wireType: 0) + varint(UInt64(bitPattern: step)) }  // proto3 omits zero
        out += lengthDelimited(field: 5, summary)
        return out
    }

    private static func wallTimeField(_ wallTime: Double) -> [UInt8] {
        key(field: 1, wireType: 1) + TFRecord.littleEndian(wallTime.bitPattern)
    }

    private static func key(field: UInt64, wireType: UInt64) -> [UInt8] { varint(field << 3 | wireType) }

    private static func lengthDelimited(field: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        key(field: field, wireType: 2) + varint(UInt64(bytes.count)) + bytes
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            let low = UInt8(value & 0x7F)
            value >>= 7
            out.append(value == 0 ? low : low | 0x80)
        } while value != 0
        return out
    }
}
