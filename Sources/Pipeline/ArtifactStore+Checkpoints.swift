// Where stages keep resumable state (`<root>/checkpoints/<key>/`), and how `cache gc` drops the
// checkpoints nobody will resume: those of published keys and of keys no recent run references.
import Basics
import Foundation

extension ArtifactStore {
    /// `<root>/checkpoints`: one directory per cache key of a stage that started but never published.
    public var checkpoints: URL { root.appendingPathComponent("checkpoints") }

    /// The checkpoint directory of the stage with cache key `key` (not created here).
    public func checkpointDirectory(for key: String) -> URL { checkpoints.appendingPathComponent(key) }

    /// Deletes checkpoint directories that no run will resume from: the key is published already,
    /// or it is not in `keep` (the keys of the most recent run records). A key a running apply
    /// plans to build (use lock held) or is building (build lock held) is never touched. Returns
    /// the deleted keys and the bytes freed.
    func collectOrphanedCheckpoints(keep: Set<String>) -> (removed: [String], freedBytes: Int64) {
        var removed: [String] = [], freed: Int64 = 0
        for key in ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []).sorted() {
            guard entryExists(key) || !keep.contains(key) else { continue }
            // A running apply that will build (and resume) this key holds its use lock already.
            guard let use = try? FileLock.acquire(locks.appendingPathComponent(key + ".use"), .exclusive, blocking: false),
                  let build = try? lockForBuild(key, blocking: false) else { continue }
            let directory = checkpointDirectory(for: key)
            let size = Self.treeSize(directory)
            Self.removeTree(directory)
            build.release()
            use.release()
            removed.append(key)
            freed += size
        }
        return (removed, freed)
    }

    /// Total bytes of the regular files under `url`.
    static func treeSize(_ url: URL) -> Int64 {
        var total: Int64 = 0
        for relative in (try? FileDigester.regularFiles(under: url.path)) ?? [] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent(relative).path)
            total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }
}
