// The files of a directory to publish: relative paths (sorted, `/`-separated), following symlinks,
// with the hashes both remotes compare by (sha256 for LFS, git blob sha1 for regular files).
import Basics
import Crypto
import Foundation

struct LocalFile: Sendable {
    var path: String
    var url: URL
    var size: Int64
    var sha256: String
    var gitSHA1: String
    /// The first 512 bytes (the Hub's preupload decides text vs. binary from them).
    var sample: Data

    /// Reads `url` once, computing both hashes.
    init(path: String, url: URL) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw RunnerError(url.path, "cannot open for reading") }
        defer { try? handle.close() }
        let size = HubDownloader.size(of: url) ?? 0
        var sha256 = SHA256()
        var sha1 = Insecure.SHA1()
        sha1.update(data: Data("blob \(size)\u{0}".utf8))
        var sample = Data()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            if sample.count < 512 { sample.append(chunk.prefix(512 - sample.count)) }
            sha256.update(data: chunk)
            sha1.update(data: chunk)
        }
        self.path = path
        self.url = url
        self.size = size
        self.sha256 = sha256.finalize().map { String(format: "%02x", $0) }.joined()
        self.gitSHA1 = sha1.finalize().map { String(format: "%02x", $0) }.joined()
        self.sample = sample
    }

    /// Every regular file under `directory` (or the file itself), hashed.
    static func collect(_ url: URL) throws -> [LocalFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunnerError(url.path, "nothing to publish: no such file or directory")
        }
        if !isDirectory.boolValue { return [try LocalFile(path: url.lastPathComponent, url: url)] }
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { throw RunnerError(url.path, "cannot list directory") }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            var nested: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(relative).path, isDirectory: &nested), !nested.boolValue {
                paths.append(relative)
            }
        }
        return try paths.sorted().map { try LocalFile(path: $0, url: url.appendingPathComponent($0)) }
    }
}
