// Remote inputs (`hf://…` sources) in the cache key: the planner asks a resolver to pin each to an
// immutable revision; the pin's digest stands in for a file digest, so a moved branch re-runs the
// stage and an unchanged commit is a cache hit however the revision was spelled.
import Basics

/// A remote source pinned to an immutable revision.
public struct PinnedRemoteSource: Hashable, Sendable {
    /// The source as the stage should read it (e.g. `hf://org/name@<commit>`).
    public var source: String
    /// What the cache key hashes for it (a digest of repository, commit and file selection).
    public var digest: String

    public init(source: String, digest: String) {
        self.source = source
        self.digest = digest
    }
}

/// Pins remote sources. Implemented by the Hub module; set on `StageRegistry.remoteSources`.
public protocol RemoteSourceResolver: Sendable {
    /// Resolves `source` (as written in the recipe) to an immutable revision.
    /// - Throws: `RunnerError` saying what could not be resolved and how to fix it.
    func pin(_ source: String) throws -> PinnedRemoteSource
}
