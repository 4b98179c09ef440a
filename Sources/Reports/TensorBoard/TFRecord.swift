// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length (LE) · uint32 masked CRC-32C of the length bytes · data · uint32 masked CRC-32C of data.

public enum TFRecord {
    /// One framed record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = littleEndian(UInt64(data.count))
        out += length
        out += littleEndian(CRC32C.masked(length))
        out += data
        out += littleEndian(CRC32C.masked(data))
        return out
    }

    /// Splits framed bytes back into records, checking both CRCs.
    ///
    /// - Throws: `TFRecordError` with the byte offset of a truncated record or a CRC mismatch.
    public static func records(in bytes: [UInt8]) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { throw TFRecordError(offset: offset, message: "truncated record header") }
            let lengthBytes = Array(bytes[offset ..< offset + 8])
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard readUInt32(bytes, at: offset + 8) == CRC32C.masked(lengthBytes) else {
                throw TFRecordError(offset: offset + 8, message: "length CRC mismatch")
            }
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                throw TFRecordError(offset: offset, message: "record of \(length) bytes runs past the end of the file")
            }
            let data = Array(bytes[start ..< start + Int(length)])
            guard readUInt32(bytes, at: start + Int(length)) == CRC32C.masked(data) else {
                throw TFRecordError(offset: start + Int(length), message: "data CRC mismatch")
            }
            records.append(data)
            offset = start + Int(length) + 4
        }
        return records
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0 ..< T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << ($1 * 8) }
    }
}

/// A malformed TFRecord stream.
public struct TFRecordError: Error, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "byte \(offset): \(message)" }
}
