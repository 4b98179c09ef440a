// Streams a file to disk piece by piece (header, then each tensor's bytes) into a temporary
// sibling, then fsyncs and renames it into place: multi-GB checkpoints are never assembled in
// memory, and a crash never leaves a half-written file under the final name.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class AtomicStreamWriter {
    private let url: URL
    private let temporary: URL
    private var fd: Int32
    private var finished = false

    init(_ url: URL) throws {
        self.url = url
        temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunnerError(url.path, "cannot create file: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if !finished {
            close(fd)
            unlink(temporary.path)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw RunnerError(url.path, "write failed: \(String(cString: strerror(errno)))",
                                  hint: errno == ENOSPC ? "the disk is full" : nil)
            }
            offset += n
        }
    }

    func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }

    func writeZeros(_ count: Int) throws {
        if count > 0 { try write(Data(count: count)) }
    }

    /// fsync, close, rename into place, fsync the directory.
    func finish() throws {
        guard fsync(fd) == 0 else { throw RunnerError(url.path, "fsync failed: \(String(cString: strerror(errno)))") }
        close(fd)
        finished = true
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw RunnerError(url.path, "rename failed: \(reason)")
        }
        AtomicFile.syncDirectory(url.deletingLastPathComponent())
    }
}
