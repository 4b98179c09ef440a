// Scratch directories for tests that write files: a fresh directory under the system temp dir,
// helpers to write and read files in it, and a cleanup that also removes read-only leftovers.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test's own directory tree at `root`; conformers add what their target needs (a store, a CLI runner).
public protocol ScratchDirectory {
    var root: URL { get }
}

extension ScratchDirectory {
    /// Creates and returns `<tmp>/<prefix>-<name's letters and digits>-<8 random hex digits>`.
    public static func makeRoot(prefix: String, name: String) -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(safe)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    public func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Writes `data` at `relative`, creating its parent directories.
    @discardableResult
    public func write(_ relative: String, _ data: Data) -> URL {
        let url = self.url(relative)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! data.write(to: url)
        return url
    }

    /// Writes `text` as UTF-8 at `relative`, creating its parent directories.
    @discardableResult
    public func write(_ relative: String, _ text: String) -> URL { write(relative, Data(text.utf8)) }

    /// The UTF-8 text at `relative`, or nil when it cannot be read.
    public func read(_ relative: String) -> String? { try? String(contentsOf: url(relative), encoding: .utf8) }

    /// Removes the tree, first making everything in it writable (tests make files read-only).
    public func cleanup() {
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            while let relative = walker.nextObject() as? String { chmod(root.path + "/" + relative, 0o755) }
        }
        try? FileManager.default.removeItem(at: root)
    }
}
