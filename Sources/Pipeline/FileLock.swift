// Advisory whole-file locks (flock) on lock files inside the cache. The kernel drops them when the
// holder dies, so a SIGKILLed run never leaves a stage locked.
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
    public static func acquire(_ url: URL, _ mode: Mode, blocking: Bool) throws -> FileLock? {
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
        return FileLock(fd: fd)
    }

    public func release() {
        if fd >= 0 {
            close(fd)  // closing the only descriptor drops the flock
            fd = -1
        }
    }

    deinit { release() }
}
