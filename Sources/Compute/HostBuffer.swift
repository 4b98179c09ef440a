// Reference-counted host memory that tensors view: either memory runner owns (64-byte aligned)
// or a read-only region of a memory-mapped file, so weights can be used without a copy.
#if canImport(Glibc)
import Glibc
#endif
import Basics

/// Storage that tensors are views of. Each backend has its own kind (host memory, device memory);
/// model code only passes storages around inside `Tensor`s and never reads their contents.
public protocol TensorStorage: AnyObject {
    /// Size of the storage in bytes.
    var byteCount: Int { get }
}

/// Host memory: owned (freed on deinit) or a mapped file region (unmapped on deinit).
///
/// Contract: `pointer` stays valid for the buffer's lifetime; mapped buffers are read-only
/// (writing through them traps). Safe to share across threads when writers touch disjoint bytes.
public final class HostBuffer: TensorStorage, @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    public let isReadOnly: Bool
    private let release: (UnsafeMutableRawPointer, Int) -> Void

    /// New zero-filled memory of `byteCount` bytes, aligned to 64 bytes (a cache line; AVX-512).
    public init(byteCount: Int) {
        let size = max(byteCount, 1)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0, let raw else {
            fatalError("out of memory allocating \(byteCount) bytes")
        }
        memset(raw, 0, size)
        self.pointer = raw
        self.byteCount = byteCount
        self.isReadOnly = false
        self.release = { p, _ in free(p) }
    }

    /// Wraps memory someone else owns; `release` is called once when the buffer dies.
    public init(wrapping pointer: UnsafeMutableRawPointer, byteCount: Int, readOnly: Bool,
                release: @escaping (UnsafeMutableRawPointer, Int) -> Void) {
        self.pointer = pointer
        self.byteCount = byteCount
        self.isReadOnly = readOnly
        self.release = release
    }

    /// Maps a whole file read-only. Throws a `RunnerError` naming the path when it cannot.
    public static func map(path: String) throws -> HostBuffer {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw RunnerError(path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw RunnerError(path, "cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int(info.st_size)
        if size == 0 {
            return HostBuffer(byteCount: 0)
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw RunnerError(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        return HostBuffer(wrapping: base, byteCount: size, readOnly: true) { p, n in munmap(p, n) }
    }

    deinit { release(pointer, byteCount) }
}
