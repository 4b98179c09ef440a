// Advisory whole-file locks (flock) on lock files inside the cache. The kernel drops them when the
// holder dies, so a SIGKILLed run never leaves a stage locked; unheld lock files can be deleted
// safely because every acquisition re-checks, after locking, that its file is still the one linked.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One held lock; released by `release()` or when the object goes away.
public final class FileLock: @unchecked Sendable {
    public enum Mode: Sendable { case shared, exclusive }

    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Locks `url` (created if missing). Blocking waits for the lock; non-blocking returns nil when
    /// someone else holds a conflicting lock.
    ///
    /// Lock files may be deleted (`cache gc` unlinks the ones nobody holds, while holding them), so
    /// after locking, the descriptor must still be the file at `url`; if it was unlinked or replaced
    /// meanwhile, the lock protects nothing and the whole acquisition starts over.
    public static func acquire(_ url: URL, _ mode: Mode, blocking: Bool) throws -> FileLock? {
        while true {
            let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw RunnerError(url.path, "cannot open lock file: \(String(cString: strerror(errno)))")
            }
            var operation = mode == .shared ? LOCK_SH : LOCK_EX
            if !blocking { operation |= LOCK_NB }
            while flock(fd, operation) != 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                if code == EWOULDBLOCK { return nil }
                throw RunnerError(url.path, "cannot lock: \(String(cString: strerror(code)))")
            }
            if isStillLinked(fd, at: url) { return FileLock(fd: fd) }
            close(fd)  // a stale-lock sweep removed it between our open and flock: lock the new file
        }
    }

    /// Whether `fd` is the file now at `url` (same device and inode).
    private static func isStillLinked(_ fd: Int32, at url: URL) -> Bool {
        var held = stat(), named = stat()
        guard fstat(fd, &held) == 0, stat(url.path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }

    /// Deletes `url` if nobody holds a lock on it: locks it exclusively (without waiting), unlinks
    /// it while still holding the lock, then releases. Returns whether it was removed. Safe against
    /// concurrent `acquire`s, which re-check the inode after locking.
    public static func removeIfUnheld(_ url: URL) -> Bool {
        guard let lock = try? acquire(url, .exclusive, blocking: false) else { return false }
        defer { lock.release() }
        return unlink(url.path) == 0
    }

    public func release() {
        if fd >= 0 {
            close(fd)  // closing the only descriptor drops the flock
            fd = -1
        }
    }

    deinit { release() }
}
