// The two content hashes the Hub compares files by: SHA-256 (LFS objects) and git's blob id
// (sha1 over "blob <size>\0" + bytes, for regular files).
import Crypto
import Foundation

public enum ContentHash {
    /// Lower-case hex SHA-256 of `data`.
    public static func sha256(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

    /// Git's object id of a blob with these bytes (what `git hash-object` prints).
    public static func gitBlobID(_ data: Data) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Data("blob \(data.count)\u{0}".utf8))
        hasher.update(data: data)
        return hex(hasher.finalize())
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
