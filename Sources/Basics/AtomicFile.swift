// Atomic file writes: write to a temporary sibling, fsync, rename. A crash leaves either the old
// file or the new one, never a half-written file under the final name.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum AtomicFile {
    /// Writes `data` to `url` atomically (same-directory temp file, fsync, rename, fsync of the directory).
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw RunnerError(tmp.path, "cannot create file: \(String(cString: strerror(code)))", hint: code == ENOSPC ? noSpaceHint : nil)
        }
        var ok = false
        defer {
            if !ok { unlink(tmp.path) }
        }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    close(fd)
                    throw RunnerError(url.path, "write failed: \(String(cString: strerror(code)))", hint: code == ENOSPC ? noSpaceHint : nil)
                }
                offset += n
            }
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw RunnerError(url.path, "fsync failed: \(String(cString: strerror(code)))", hint: code == ENOSPC ? noSpaceHint : nil)
        }
        close(fd)
        FailPoint.atomicWriteBeforeRename.hit()
        guard rename(tmp.path, url.path) == 0 else {
            throw RunnerError(url.path, "rename failed: \(String(cString: strerror(errno)))")
        }
        ok = true
        syncDirectory(dir)
    }

    /// Removes the temporaries `write(_:to:)` left beside `url` (`.<name>.tmp-<pid>-<n>`) when their
    /// writer process has exited: a run killed between writing and renaming. Live writers' files stay.
    public static func sweepStaleTemporaries(of url: URL) {
        sweepStaleSiblings(of: url, marker: "tmp")
    }

    /// Removes `.<name>.<marker>-<pid>-<n>` siblings of `url` whose process `pid` no longer exists.
    public static func sweepStaleSiblings(of url: URL, marker: String) {
        let dir = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).\(marker)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "-")
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(dir.appendingPathComponent(name).path)
        }
    }

    /// What to do when a write fails with ENOSPC (the cache is the usual big writer).
    public static let noSpaceHint = "the filesystem is full: free space there and run again; `runner cache gc` removes cache entries no recent run uses, and RUNNER_CACHE (or --cache) moves the cache to a larger disk"

    /// fsyncs a directory so a rename inside it survives a power cut.
    public static func syncDirectory(_ dir: URL) {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
