// The bytes of a model file: a read-only memory map of the file (or an in-memory copy, for tests
// and for parsing data that never touched disk). Views into it stay valid while it is alive.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Immutable bytes backing a parsed file. Tensor views are slices of `bytes` and are valid as long
/// as this object (held by the parsed file) is alive.
public final class FileBytes: @unchecked Sendable {
    /// All bytes of the file.
    public let bytes: UnsafeRawBufferPointer
    /// What to call this file in error messages (usually its path).
    public let name: String
    private let unmapLength: Int  // > 0 when `bytes` is an mmap to release
    private let ownsAllocation: Bool

    /// Maps `url` read-only. Throws a RunnerError naming the path when it cannot be opened or mapped.
    public init(mapping url: URL) throws {
        name = url.path
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RunnerError(url.path, "cannot open file: \(String(cString: strerror(errno)))",
                              hint: errno == ENOENT ? "check the path" : nil)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw RunnerError(url.path, "cannot stat file: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RunnerError(url.path, "not a regular file")
        }
        let size = Int(info.st_size)
        ownsAllocation = false
        if size == 0 {
            // mmap refuses empty lengths; an empty file is simply no bytes.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            unmapLength = 0
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw RunnerError(url.path, "cannot map file (\(size) bytes): \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        unmapLength = size
    }

    /// Copies `data` into a private allocation; `name` is used in error messages.
    public init<C: Collection>(copying data: C, name: String) where C.Element == UInt8 {
        self.name = name
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        _ = buffer.initializeMemory(as: UInt8.self, from: data)
        bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: data.count)
        unmapLength = 0
        ownsAllocation = true
    }

    deinit {
        if unmapLength > 0, let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), unmapLength)
        } else if ownsAllocation, let base = bytes.baseAddress {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    public var count: Int { bytes.count }
}
