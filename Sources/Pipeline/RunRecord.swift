// The record of one `runner apply`: resolved recipe, git state, per-stage keys, params, input
// digests, cache hit/miss, timings, metrics and status. Plans diff against the latest record of
// the same recipe to explain what re-runs and why.
import Foundation

public struct RunRecord: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case running, succeeded, failed, interrupted
    }

    /// How a stage ended in this run.
    public enum Outcome: String, Codable, Sendable {
        /// Not reached (the run stopped earlier).
        case pending
        /// Taken from the cache.
        case hit
        /// Built by this run.
        case miss
        /// Not needed: everything using it was cached.
        case skipped
        case failed
        case interrupted
    }

    public struct InputRef: Codable, Hashable, Sendable {
        public var stage: String
        public var key: String
    }

    public struct InputFile: Codable, Hashable, Sendable {
        /// Absolute path at the time of the run.
        public var path: String
        /// Path relative to the recipe's directory when inside it (for messages).
        public var displayPath: String
        public var digest: String
    }

    public struct Stage: Codable, Sendable {
        public var name: String
        public var kind: String
        public var key: String
        public var implementationVersion: Int?
        /// Flattened params: `key.path` → canonical JSON of the value.
        public var params: [String: String]
        /// Input role → upstream stage and key.
        public var inputs: [String: InputRef]
        /// Param key path → file.
        public var files: [String: InputFile]
        public var outcome: Outcome
        public var seconds: Double?
        public var metrics: [String: Double]
        public var outputPath: String?
        public var error: String?
        /// The process's peak resident set size (bytes) when the stage finished or was taken from the cache.
        public var peakRSSBytes: Int?
    }

    public struct GitState: Codable, Sendable {
        public var commit: String
        public var dirty: Bool
    }

    public var id: String
    public var recipeName: String
    public var recipeFile: String
    public var recipeVersion: Int
    public var seed: Int64
    /// The fully resolved recipe (extends merged, overrides applied, defaults filled).
    public var resolved: JSONValue
    public var git: GitState?
    public var toolVersion: String
    public var cacheDirectory: String
    public var startedAt: String
    public var finishedAt: String?
    public var seconds: Double?
    public var status: Status
    public var error: String?
    public var stages: [Stage]
    /// The process's peak resident set size over the whole run, in bytes (getrusage).
    public var peakRSSBytes: Int?

    public func stage(named name: String) -> Stage? { stages.first { $0.name == name } }
}
