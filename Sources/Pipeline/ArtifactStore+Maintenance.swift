// Cache maintenance behind `runner cache ls|verify|gc`: listing entries, checking every digest,
// and collecting garbage without ever touching an entry another run holds.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ArtifactStore {
    /// One entry as `cache ls` shows it.
    public struct EntrySummary: Codable, Sendable {
        public var key: String
        public var stageName: String?
        public var kind: String?
        public var size: Int64
        public var createdAt: String?
        /// False when the manifest is missing or unreadable (such entries are never used).
        public var complete: Bool
    }

    /// All entries under `objects/`, sorted by creation time. An entry discarded while listing is left out.
    public func list() -> [EntrySummary] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: objects.path)) ?? []
        return names.compactMap { key -> EntrySummary? in
            if let m = try? PipelineJSON.decode(ArtifactManifest.self, from: entry(key).appendingPathComponent("manifest.json")) {
                return EntrySummary(key: key, stageName: m.stageName, kind: m.kind, size: m.totalSize, createdAt: m.createdAt, complete: m.key == key)
            }
            guard entryExists(key) else { return nil }
            return EntrySummary(key: key, stageName: nil, kind: nil, size: 0, createdAt: nil, complete: false)
        }.sorted { ($0.createdAt ?? "", $0.key) < ($1.createdAt ?? "", $1.key) }
    }

    /// One finding of `verify`.
    public struct VerifyProblem: Codable, Sendable {
        public var key: String
        public var problem: String
        /// Whether the entry was removed (so the next apply rebuilds it).
        public var removed: Bool
    }

    /// Checks every entry fully: manifest, file list, sizes and SHA-256 digests. Bad entries are
    /// removed unless `dryRun` or another run is using them. Each entry is checked under a shared
    /// use lock, so a concurrent `gc` cannot delete it halfway through; entries removed by someone
    /// else since the listing are not problems.
    public func verify(dryRun: Bool) -> (checked: Int, problems: [VerifyProblem]) {
        let keys = (try? FileManager.default.contentsOfDirectory(atPath: objects.path)) ?? []
        var problems: [VerifyProblem] = []
        var checked = 0
        for key in keys.sorted() {
            let use = try? lockForUse(key)
            guard entryExists(key) else { use?.release(); continue }
            checked += 1
            let problem = findProblem(key)
            use?.release()
            guard let problem else { continue }
            var removed = false
            if !dryRun, let exclusive = try? FileLock.acquire(locks.appendingPathComponent(key + ".use"), .exclusive, blocking: false) {
                if findProblem(key) != nil { removed = (try? discard(key)) != nil }
                exclusive.release()
            }
            problems.append(VerifyProblem(key: key, problem: problem, removed: removed))
        }
        return (checked, problems)
    }

    /// What is wrong with an entry, or nil when every byte matches its manifest.
    public func findProblem(_ key: String) -> String? {
        let manifestURL = entry(key).appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: manifestURL.path) else { return "manifest.json is missing (incomplete entry)" }
        guard let manifest = try? PipelineJSON.decode(ArtifactManifest.self, from: manifestURL) else { return "manifest.json is unreadable" }
        guard manifest.key == key else { return "manifest names key \(manifest.key)" }
        let data = entry(key).appendingPathComponent("data")
        guard let present = try? FileDigester.regularFiles(under: data.path) else { return "data/ is missing" }
        let listed = Set(manifest.files.map(\.path))
        if let extra = present.first(where: { !listed.contains($0) }) { return "unexpected file data/\(extra)" }
        for file in manifest.files {
            let url = data.appendingPathComponent(file.path)
            var st = stat()
            guard stat(url.path, &st) == 0 else { return "data/\(file.path) is missing" }
            guard Int64(st.st_size) == file.size else { return "data/\(file.path) has \(st.st_size) bytes, manifest says \(file.size)" }
            guard let digest = try? Digest.sha256Hex(fileAt: url) else { return "data/\(file.path) is unreadable" }
            guard digest == file.sha256 else { return "data/\(file.path) content changed (SHA-256 mismatch)" }
        }
        return nil
    }

    /// What `gc` did.
    public struct GCReport: Codable, Sendable {
        public var removed: [String] = []
        public var freedBytes: Int64 = 0
        public var keptReferenced: Int = 0
        public var skippedInUse: [String] = []
        public var sweptTemporaries: Int = 0
        public var remainingBytes: Int64 = 0
        /// Keys whose resume checkpoints were deleted (published, or no recent run references them).
        public var removedCheckpoints: [String] = []
        public var checkpointBytes: Int64 = 0
        /// Leftovers of killed runs removed: temporary files of atomic writes whose writer is gone,
        /// and checkpoint temporaries of stages nobody is building.
        public var sweptWriterTemporaries: Int = 0
        /// Lock files nobody held, deleted (they are recreated on demand).
        public var removedLockFiles: Int = 0
    }

    /// Deletes entries not referenced by `keep` (the keys of the most recent run records), least
    /// recently used first. With `maxSize`, stops once the cache fits; without, removes every
    /// unreferenced entry. Entries in use by a running apply (use lock held) are never deleted; stale
    /// build directories are swept, and so are checkpoint directories no run will resume from
    /// (`collectOrphanedCheckpoints`).
    public func collectGarbage(keep: Set<String>, lastUsed: [String: String], maxSize: Int64?) -> GCReport {
        var report = GCReport()
        let entries = list()
        var total = entries.reduce(0) { $0 + $1.size }
        let candidates = entries.filter { !keep.contains($0.key) }.sorted {
            (lastUsed[$0.key] ?? $0.createdAt ?? "", $0.key) < (lastUsed[$1.key] ?? $1.createdAt ?? "", $1.key)
        }
        report.keptReferenced = entries.count - candidates.count
        for candidate in candidates {
            if let maxSize, total <= maxSize { break }
            guard let use = try? FileLock.acquire(locks.appendingPathComponent(candidate.key + ".use"), .exclusive, blocking: false),
                  let build = try? lockForBuild(candidate.key, blocking: false) else {
                report.skippedInUse.append(candidate.key)
                continue
            }
            if (try? discard(candidate.key)) != nil {
                report.removed.append(candidate.key)
                report.freedBytes += candidate.size
                total -= candidate.size
            }
            build.release()
            use.release()
        }
        report.sweptTemporaries = sweepAllTemporaries()
        (report.removedCheckpoints, report.checkpointBytes) = collectOrphanedCheckpoints(keep: keep)
        report.sweptWriterTemporaries = sweepStaleWriterTemporaries()
        report.removedLockFiles = removeUnheldLockFiles()
        report.remainingBytes = total
        return report
    }

    /// Removes build directories whose key nobody is building (left by crashed runs).
    @discardableResult
    public func sweepAllTemporaries() -> Int {
        var swept = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] {
            let key = String(name.prefix(while: { $0 != "-" }))
            guard let build = try? lockForBuild(key, blocking: false) else { continue }
            Self.removeTree(temporary.appendingPathComponent(name))
            build.release()
            swept += 1
        }
        return swept
    }
}
