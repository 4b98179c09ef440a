// Writes one TensorBoard event file (`events.out.tfevents.<unix time>.<host>`) of scalar series,
// readable by `tensorboard --logdir`, TensorFlow's summary_iterator and tbparse.
import Basics
import Foundation

/// One scalar sample of a series.
public struct ScalarPoint: Equatable, Sendable {
    public var step: Int
    public var value: Double
    /// Seconds since 1970.
    public var wallTime: Double

    public init(step: Int, value: Double, wallTime: Double) {
        self.step = step
        self.value = value
        self.wallTime = wallTime
    }
}

public enum EventFileWriter {
    /// The bytes of an event file: the file-version record, then one record per (tag, point),
    /// ordered by step and then by tag. Non-finite values are written as they are (TensorBoard shows NaN).
    public static func encode(_ series: [String: [ScalarPoint]], createdAt: Double) -> [UInt8] {
        var bytes = TFRecord.frame(EventProto.fileVersion(wallTime: createdAt))
        let points = series.flatMap { tag, points in points.map { (tag: tag, point: $0) } }
            .sorted { ($0.point.step, $0.tag) < ($1.point.step, $1.tag) }
        for (tag, point) in points {
            bytes += TFRecord.frame(EventProto.scalars([(tag, Float(point.value))], step: Int64(point.step), wallTime: point.wallTime))
        }
        return bytes
    }

    /// Writes `series` into `directory` (created if needed) as a new event file; returns its URL.
    @discardableResult
    public static func write(_ series: [String: [ScalarPoint]], to directory: URL, createdAt: Date) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.isEmpty ? "localhost" : ProcessInfo.processInfo.hostName
        let name = "events.out.tfevents." + String(format: "%010d", Int(createdAt.timeIntervalSince1970)) + "." + host
        let url = directory.appendingPathComponent(name)
        try AtomicFile.write(Data(encode(series, createdAt: createdAt.timeIntervalSince1970)), to: url)
        return url
    }
}
