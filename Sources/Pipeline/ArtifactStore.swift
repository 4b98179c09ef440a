// The content-addressed cache: `objects/<key>/` holds one stage artifact (`data/` + manifest.json).
// Entries are built in `tmp/` on the same filesystem and published by one rename, so a crash never
// leaves an entry that looks complete. Per-key flock files make concurrent runs safe.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A published artifact, verified cheaply (manifest readable, every file present with its size).
public struct Artifact: Sendable {
    public var key: String
    /// The entry directory (`objects/<key>`).
    public var entry: URL
    /// The stage's output directory inside the entry (read-only).
    public var data: URL { entry.appendingPathComponent("data") }
    public var manifest: ArtifactManifest
}

/// The cache at one root directory:
///
///     <root>/objects/<key>/manifest.json, data/…   published artifacts
///     <root>/tmp/<key>-<pid>-<n>/                  entries being built (stale ones are swept)
///     <root>/locks/<key>.build, <key>.use           flock files
///     <root>/memo/file-digests.json                 FileDigester memo
///     <root>/checkpoints/<key>/                     resumable state of unfinished stages
///     <root>/runs/<id>/run.json, log.txt            run records
public struct ArtifactStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    public var objects: URL { root.appendingPathComponent("objects") }
    public var temporary: URL { root.appendingPathComponent("tmp") }
    public var locks: URL { root.appendingPathComponent("locks") }
    public var memoURL: URL { root.appendingPathComponent("memo/file-digests.json") }
    public var runs: URL { root.appendingPathComponent("runs") }

    /// Creates the directory layout (idempotent) and a CACHEDIR.TAG so backup tools skip it.
    public func prepare() throws {
        let fm = FileManager.default
        for dir in [objects, temporary, locks, memoURL.deletingLastPathComponent(), runs] {
            do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw RunnerError(dir.path, "cannot create cache directory: \(error.localizedDescription)",
                                  hint: "pass --cache DIR or set RUNNER_CACHE to a writable directory")
            }
        }
        let tag = root.appendingPathComponent("CACHEDIR.TAG")
        if !fm.fileExists(atPath: tag.path) {
            try? AtomicFile.write(Data("Signature: 8a477f597d28d172789f06886806bc55\n# runner's cache (see `runner cache`).\n".utf8), to: tag)
        }
    }

    public func entry(_ key: String) -> URL { objects.appendingPathComponent(key) }

    // MARK: Reading

    /// The published artifact for `key`, or nil when absent or incomplete/damaged (cheap check:
    /// manifest decodes and names this key, every listed file exists with its recorded size).
    /// `verify` checks the digests too.
    public func lookup(_ key: String) -> Artifact? {
        let dir = entry(key)
        guard let manifest = try? PipelineJSON.decode(ArtifactManifest.self, from: dir.appendingPathComponent("manifest.json")),
              manifest.key == key else { return nil }
        let data = dir.appendingPathComponent("data")
        for file in manifest.files {
            var st = stat()
            guard stat(data.path + "/" + file.path, &st) == 0, Int64(st.st_size) == file.size else { return nil }
        }
        return Artifact(key: key, entry: dir, manifest: manifest)
    }

    /// Whether something (complete or not) sits at `objects/<key>`.
    func entryExists(_ key: String) -> Bool { FileManager.default.fileExists(atPath: entry(key).path) }

    // MARK: Locks

    /// Held by every run that uses (or will use) an entry, for the whole run. `gc` and `verify`
    /// delete only entries whose use lock they can take exclusively.
    public func lockForUse(_ key: String, blocking: Bool = true) throws -> FileLock? {
        try FileLock.acquire(locks.appendingPathComponent(key + ".use"), .shared, blocking: blocking)
    }

    /// Held while building an entry: the second builder waits, then finds it published.
    public func lockForBuild(_ key: String, blocking: Bool) throws -> FileLock? {
        try FileLock.acquire(locks.appendingPathComponent(key + ".build"), .exclusive, blocking: blocking)
    }

    // MARK: Building and publishing

    /// A fresh build directory for `key` with an empty `data/` inside. Call with the build lock held:
    /// it first sweeps this key's stale build directories (left by a crashed or killed run).
    public func makeBuildDirectory(for key: String) throws -> URL {
        sweepTemporaries(forKey: key)
        let dir = temporary.appendingPathComponent("\(key)-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        do {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        } catch {
            throw RunnerError(dir.path, "cannot create build directory: \(error.localizedDescription)")
        }
        return dir
    }

    /// Removes `tmp/<key>-*` directories. Safe only while holding `key`'s build lock.
    public func sweepTemporaries(forKey key: String) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix(key + "-") {
            try? fm.removeItem(at: temporary.appendingPathComponent(name))
        }
    }

    /// Describes the files a stage wrote into `buildDirectory/data` (sizes and SHA-256), fsyncing
    /// each so the published entry survives a power cut.
    public func describeFiles(in buildDirectory: URL) throws -> [ArtifactManifest.File] {
        let data = buildDirectory.appendingPathComponent("data")
        var files: [ArtifactManifest.File] = []
        try Self.rejectSymbolicLinks(under: data)
        for relative in try FileDigester.regularFiles(under: data.path) {
            let url = data.appendingPathComponent(relative)
            try Self.fsyncFile(url)
            var st = stat()
            guard stat(url.path, &st) == 0 else { throw RunnerError(url.path, "file vanished before publishing") }
            files.append(.init(path: relative, size: Int64(st.st_size), sha256: try Digest.sha256Hex(fileAt: url)))
        }
        return files
    }

    /// Publishes a build directory as `objects/<manifest.key>`: files made read-only, manifest written
    /// last (fsynced), then one rename. Call with the build lock held. A damaged entry already under
    /// that name is moved aside first.
    @discardableResult
    public func publish(_ buildDirectory: URL, manifest: ArtifactManifest) throws -> Artifact {
        let data = buildDirectory.appendingPathComponent("data")
        for file in manifest.files { chmod(data.path + "/" + file.path, 0o444) }
        FailPoint.publishBeforeManifest.hit()
        try AtomicFile.write(try PipelineJSON.encode(manifest), to: buildDirectory.appendingPathComponent("manifest.json"))
        AtomicFile.syncDirectory(buildDirectory)
        let destination = entry(manifest.key)
        if entryExists(manifest.key) { try discard(manifest.key) }
        FailPoint.publishBeforeRename.hit()
        guard rename(buildDirectory.path, destination.path) == 0 else {
            throw RunnerError(destination.path, "cannot publish cache entry: \(String(cString: strerror(errno)))")
        }
        FailPoint.publishAfterRename.hit()
        AtomicFile.syncDirectory(objects)
        guard let artifact = lookup(manifest.key) else {
            throw RunnerError(destination.path, "published cache entry does not verify")
        }
        return artifact
    }

    /// Removes an entry: first renamed into tmp/ (so it vanishes atomically), then deleted.
    public func discard(_ key: String) throws {
        let trash = temporary.appendingPathComponent("\(key)-discarded-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        guard rename(entry(key).path, trash.path) == 0 else {
            if errno == ENOENT { return }
            throw RunnerError(entry(key).path, "cannot remove cache entry: \(String(cString: strerror(errno)))")
        }
        Self.removeTree(trash)
    }

    /// Deletes a tree whose files may be read-only.
    static func removeTree(_ url: URL) {
        let fm = FileManager.default
        if let walker = fm.enumerator(atPath: url.path) {
            while let relative = walker.nextObject() as? String { chmod(url.path + "/" + relative, 0o755) }
        }
        try? fm.removeItem(at: url)
    }

    /// Artifacts are plain files: a symlink could point outside the cache (and `chmod` would follow it).
    static func rejectSymbolicLinks(under directory: URL) throws {
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return }
        while let relative = walker.nextObject() as? String {
            var st = stat()
            if lstat(directory.path + "/" + relative, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
                throw RunnerError(relative, "the stage wrote a symbolic link into its output", hint: "stages must write regular files (copy the target instead)")
            }
        }
    }

    static func fsyncFile(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw RunnerError(url.path, "cannot open for fsync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw RunnerError(url.path, "fsync failed: \(String(cString: strerror(errno)))") }
    }
}
