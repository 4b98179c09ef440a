// The huggingface_hub cache layout, shared with Python tools:
//   <cache>/models--org--name/refs/<revision>            commit id (text)
//   <cache>/models--org--name/blobs/<etag>                file bytes (etag: LFS sha256 or git blob sha1)
//   <cache>/models--org--name/snapshots/<commit>/<path>   relative symlink → ../../blobs/<etag>
//   <cache>/.locks/models--org--name/<etag>.lock          lock held while a blob downloads
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct HubCache: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// `models--org--name`.
    public static func folderName(_ repo: HubRepoID) -> String { "models--\(repo.namespace)--\(repo.name)" }

    public func repoDirectory(_ repo: HubRepoID) -> URL { root.appendingPathComponent(Self.folderName(repo)) }
    public func snapshotDirectory(_ repo: HubRepoID, commit: String) -> URL {
        repoDirectory(repo).appendingPathComponent("snapshots").appendingPathComponent(commit)
    }
    public func blob(_ repo: HubRepoID, etag: String) -> URL {
        repoDirectory(repo).appendingPathComponent("blobs").appendingPathComponent(etag)
    }
    func lockFile(_ repo: HubRepoID, etag: String) -> URL {
        root.appendingPathComponent(".locks").appendingPathComponent(Self.folderName(repo)).appendingPathComponent(etag + ".lock")
    }

    /// The commit a revision points at, as last recorded: a full commit id names itself when its
    /// snapshot exists; a branch or tag reads `refs/<revision>`.
    public func commit(for revision: String, in repo: HubRepoID) -> String? {
        if HubSource.isCommitHash(revision) {
            return FileManager.default.fileExists(atPath: snapshotDirectory(repo, commit: revision).path) ? revision : nil
        }
        let ref = repoDirectory(repo).appendingPathComponent("refs").appendingPathComponent(revision)
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubSource.isCommitHash(commit) ? commit : nil
    }

    /// Records `revision → commit` atomically (nothing to record for a commit id).
    public func recordRef(_ revision: String, commit: String, in repo: HubRepoID) throws {
        guard revision != commit else { return }
        let ref = repoDirectory(repo).appendingPathComponent("refs").appendingPathComponent(revision)
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Data(commit.utf8), to: ref)
    }

    /// Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative symlink (replacing
    /// whatever was there), as huggingface_hub does.
    public func link(_ path: String, commit: String, etag: String, in repo: HubRepoID) throws {
        let destination = snapshotDirectory(repo, commit: commit).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let depth = path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
        if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: destination.path), existing == target { return }
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).link-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        guard symlink(target, temporary.path) == 0 else {
            throw RunnerError(destination.path, "cannot create symlink: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw RunnerError(destination.path, "cannot place symlink: \(reason)")
        }
    }
}

/// An exclusive advisory lock (flock) on a file, released on `release()` or deinit.
final class ExclusiveFileLock {
    private var fd: Int32

    /// Blocks until the lock is held.
    init(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError(url.path, "cannot open lock file: \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RunnerError(url.path, "cannot lock: \(reason)")
        }
    }

    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
