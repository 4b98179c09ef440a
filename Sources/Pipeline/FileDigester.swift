// Content digests of the files and directories a stage reads, memoized by
// (path, size, mtime, ctime, inode, device) in a small persistent memo inside the cache, so
// re-planning with a multi-GB model does not re-read it. `touch` changes mtime → the file is
// re-hashed → same digest → same cache key.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hashes input files once per change. Thread-safe.
public final class FileDigester: @unchecked Sendable {
    /// What identifies a file's state without reading it.
    struct FileIdentity: Codable, Hashable {
        var size: Int64
        var mtimeNs: Int64
        var ctimeNs: Int64
        var inode: UInt64
        var device: UInt64
    }

    struct MemoEntry: Codable {
        var identity: FileIdentity
        var digest: String
    }

    struct MemoFile: Codable {
        var version: Int
        var entries: [String: MemoEntry]
    }

    private static let memoVersion = 1
    private let memoURL: URL?
    private let lock = NSLock()
    private var entries: [String: MemoEntry] = [:]
    private var dirty = false
    /// How many files were actually read and hashed (tests assert the memo works).
    public private(set) var filesHashed = 0

    /// `memoURL` nil keeps the memo in memory only.
    public init(memoURL: URL?) {
        self.memoURL = memoURL
        if let memoURL, let data = try? Data(contentsOf: memoURL),
           let memo = try? JSONDecoder().decode(MemoFile.self, from: data), memo.version == Self.memoVersion {
            entries = memo.entries
        }
    }

    /// SHA-256 (hex) of a file's bytes, or of a directory: its sorted relative file paths, each with
    /// its file digest. Throws `RunnerError` when the path is missing or unreadable.
    public func digest(of url: URL) throws -> String {
        let path = url.standardizedFileURL.path
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw RunnerError(path, "no such file or directory")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { return try directoryDigest(path) }
        return try fileDigest(path, st)
    }

    private func fileDigest(_ path: String, _ st: stat) throws -> String {
        let identity = FileIdentity(
            size: Int64(st.st_size),
            mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
            inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
        lock.lock()
        let known = entries[path]
        lock.unlock()
        if let known, known.identity == identity { return known.digest }
        let digest = try Digest.sha256Hex(fileAt: URL(fileURLWithPath: path))
        lock.lock()
        entries[path] = MemoEntry(identity: identity, digest: digest)
        dirty = true
        filesHashed += 1
        lock.unlock()
        return digest
    }

    private func directoryDigest(_ root: String) throws -> String {
        var lines = "runner-directory-digest-v1\n"
        for relative in try Self.regularFiles(under: root) {
            let path = root + "/" + relative
            var st = stat()
            guard stat(path, &st) == 0 else { throw RunnerError(path, "file vanished while hashing") }
            lines += relative + "\u{0}" + (try fileDigest(path, st)) + "\n"
        }
        return Digest.sha256Hex(lines)
    }

    /// Relative paths of the regular files under `root` (following symlinks), sorted by UTF-8 bytes.
    static func regularFiles(under root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw RunnerError(root, "cannot list directory")
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var st = stat()
            if stat(root + "/" + relative, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { files.append(relative) }
        }
        return files.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Writes the memo back (atomically) if anything changed, dropping entries for vanished files.
    public func save() {
        guard let memoURL else { return }
        lock.lock()
        defer { lock.unlock() }
        guard dirty else { return }
        entries = entries.filter { FileManager.default.fileExists(atPath: $0.key) }
        let memo = MemoFile(version: Self.memoVersion, entries: entries)
        if let data = try? JSONEncoder().encode(memo) {
            try? FileManager.default.createDirectory(at: memoURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? AtomicFile.write(data, to: memoURL)
            dirty = false
        }
    }
}
