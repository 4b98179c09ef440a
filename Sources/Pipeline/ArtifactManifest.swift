// manifest.json of a cache entry: what was built, from what, by which implementation, and the
// size and digest of every file — written last, so an entry without it is incomplete.
import Foundation

public struct ArtifactManifest: Codable, Hashable, Sendable {
    /// One file of the artifact, relative to its `data/` directory.
    public struct File: Codable, Hashable, Sendable {
        public var path: String
        public var size: Int64
        public var sha256: String

        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    public static let currentFormat = 1

    public var format: Int
    public var key: String
    public var keyScheme: Int
    public var stageName: String
    public var kind: String
    public var implementationVersion: Int
    /// Canonical JSON of the stage params (the exact text hashed into the key).
    public var params: String
    /// Input role → upstream cache key.
    public var inputKeys: [String: String]
    /// Input file key path → content digest.
    public var inputFiles: [String: String]
    /// The artifact's files, sorted by path.
    public var files: [File]
    /// The file that *is* the artifact when it is a single file (materialized as a file, not a directory).
    public var primaryFile: String?
    public var toolVersion: String
    /// ISO 8601 UTC.
    public var createdAt: String
    public var seconds: Double
    public var metrics: [String: Double]

    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }

    public init(format: Int = ArtifactManifest.currentFormat, key: String, keyScheme: Int = CacheKey.scheme, stageName: String,
                kind: String, implementationVersion: Int, params: String, inputKeys: [String: String], inputFiles: [String: String],
                files: [File], primaryFile: String?, toolVersion: String, createdAt: String, seconds: Double, metrics: [String: Double]) {
        self.format = format
        self.key = key
        self.keyScheme = keyScheme
        self.stageName = stageName
        self.kind = kind
        self.implementationVersion = implementationVersion
        self.params = params
        self.inputKeys = inputKeys
        self.inputFiles = inputFiles
        self.files = files
        self.primaryFile = primaryFile
        self.toolVersion = toolVersion
        self.createdAt = createdAt
        self.seconds = seconds
        self.metrics = metrics
    }
}

/// Shared JSON coding for everything Pipeline writes: sorted keys and pretty output for humans and diffs.
public enum PipelineJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        var data = try encoder().encode(value)
        data.append(0x0A)
        return data
    }

    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }
}

/// UTC timestamps in a fixed-width ISO 8601 form, so they sort as text.
public enum Timestamp {
    public static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// `20261122T083512Z`: compact, for run ids.
    public static func compact(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }
}
