// What a killed run can leave in the cache besides build directories, and how `cache gc` removes
// it safely: temporaries of atomic writes whose writer process is gone, checkpoint temporaries of
// stages nobody is building, and lock files nobody holds.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ArtifactStore {
    /// Removes `.<name>.tmp-<pid>-<n>` files (AtomicFile, streamed writers) under the cache whose
    /// writer `<pid>` no longer runs, and `.tmp-…`/`.trash-…` directories inside
    /// `checkpoints/<key>/` when nobody holds `key`'s build lock. Published entries (`objects/`),
    /// build directories (`tmp/`, swept by key) and `locks/` are not walked. Returns the count removed.
    @discardableResult
    public func sweepStaleWriterTemporaries() -> Int {
        var swept = 0
        let fm = FileManager.default
        let skipped: Set<String> = ["objects", "tmp", "locks", "checkpoints"]
        for top in ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []) {
            let url = root.appendingPathComponent(top)
            if Self.isWriterTemporary(top), Self.writerIsGone(top) {
                Self.removeTree(url)
                swept += 1
                continue
            }
            guard !skipped.contains(top), let walker = fm.enumerator(atPath: url.path) else { continue }
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                guard Self.isWriterTemporary(name), Self.writerIsGone(name) else { continue }
                Self.removeTree(url.appendingPathComponent(relative))
                swept += 1
            }
        }
        for key in ((try? fm.contentsOfDirectory(atPath: checkpoints.path)) ?? []) {
            let directory = checkpointDirectory(for: key)
            let leftovers = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix(".tmp-") || $0.hasPrefix(".trash-") }
            guard !leftovers.isEmpty, let build = try? lockForBuild(key, blocking: false) else { continue }
            for name in leftovers { Self.removeTree(directory.appendingPathComponent(name)) }
            build.release()
            swept += leftovers.count
        }
        return swept
    }

    /// Deletes every lock file nobody holds (`FileLock.removeIfUnheld`). Returns the count removed.
    @discardableResult
    public func removeUnheldLockFiles() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: locks.path)) ?? []
        return names.filter { FileLock.removeIfUnheld(locks.appendingPathComponent($0)) }.count
    }

    /// `.<name>.tmp-<pid>-<n>`: the temporary name AtomicFile and the streamed writers use.
    static func isWriterTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-") && writerPID(name) != nil
    }

    /// The `<pid>` of a `…-<pid>-<n>` name.
    static func writerPID(_ name: String) -> pid_t? {
        let parts = name.split(separator: "-")
        guard parts.count >= 3, UInt32(parts[parts.count - 1]) != nil else { return nil }
        return pid_t(parts[parts.count - 2])
    }

    /// Whether the process that wrote `name` has exited (a live pid, even if reused, keeps the file).
    static func writerIsGone(_ name: String) -> Bool {
        guard let pid = writerPID(name), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
