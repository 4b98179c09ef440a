// Content digests: SHA-256 over bytes and files, hex-encoded, as used by cache keys and manifests.
import Crypto
import Foundation

public enum Digest {
    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex<D: DataProtocol>(_ bytes: D) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Lower-case hex SHA-256 of a UTF-8 string.
    public static func sha256Hex(_ string: String) -> String { sha256Hex(Data(string.utf8)) }

    /// Streams a file through SHA-256 in 4 MiB chunks (memory stays flat for multi-GB models).
    /// Throws `RunnerError` naming the path when the file cannot be read.
    public static func sha256Hex(fileAt url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw RunnerError(url.path, "cannot open file for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 4 << 20) ?? Data() } catch {
                throw RunnerError(url.path, "read failed: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
