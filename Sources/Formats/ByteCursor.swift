// A bounds-checked little-endian cursor over untrusted bytes. Every read checks the bytes left
// first, so a hostile length or count turns into an error naming the byte offset, never a crash.
import Basics

struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    /// For error messages: the file's name.
    let fileName: String
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, fileName: String, offset: Int = 0) {
        self.bytes = bytes
        self.fileName = fileName
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// An error at the current offset (or at `at`), naming the file.
    func error(_ message: String, at: Int? = nil, hint: String? = nil) -> RunnerError {
        RunnerError(fileName, "at byte \(at ?? offset): \(message)", hint: hint)
    }

    mutating func require(_ count: Int, for what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw error("file ends inside \(what()) (needs \(count) bytes, \(remaining) left)",
                        hint: "the file is truncated or corrupt")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, for: what())
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads `count` raw bytes (already checked to be present).
    mutating func readBytes(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(count, for: what())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
        offset += count
        return slice
    }

    mutating func skip(to newOffset: Int) { offset = newOffset }
}
