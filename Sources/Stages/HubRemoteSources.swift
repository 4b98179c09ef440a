// Pins `hf://` sources for the planner (`StageRegistry.remoteSources`): the revision becomes the
// commit it points at now, and the cache key hashes repository, commit and file selection, so a
// moved branch re-runs `load` and `@main` vs `@<that commit>` share one cache entry.
import Basics
import Hub
import Pipeline

struct HubRemoteSources: RemoteSourceResolver {
    /// Bump when the file selection (`HubDownloader.isModelFile`) changes what `load` downloads.
    static let selectionVersion = 1

    func pin(_ text: String) throws -> PinnedRemoteSource {
        var source = try HubSource(parsing: text)
        source.revision = try HubDownloader(environment: .current()).resolveCommit(source)
        let selection = source.file.map { "file:\($0)" } ?? "model-files-v\(Self.selectionVersion)"
        return PinnedRemoteSource(source: source.description,
                                  digest: Digest.sha256Hex("runner-hf-source-v1\nmodel\n\(source.repo)\n\(source.revision)\n\(selection)\n"))
    }
}
