// ModelsTests support: fixture and model paths, fixture readers, comparison helpers.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

enum Paths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let smolLM2 = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")

    /// The SmolLM2 GGUF, or a failure telling how to get it.
    static func requireSmolLM2() throws -> URL {
        try #require(FileManager.default.fileExists(atPath: smolLM2.path),
                     "\(smolLM2.path) is missing: run scripts/bootstrap.sh to download it")
        return smolLM2
    }
}

/// Reads a JSON fixture as a dictionary.
func loadJSON(_ url: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: url)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(url.path) is not a JSON object")
}

/// Reads little-endian f32 values.
func loadFloats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in (0..<data.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
}

func ints(_ value: Any?) -> [Int32] { ((value as? [Any]) ?? []).map { Int32(($0 as! NSNumber).intValue) } }

/// Largest |a − b| over two equal-length vectors.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// A shared CPU backend (single model driver per test).
func makeBackend() -> CPUBackend { CPUBackend() }
