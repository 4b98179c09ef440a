// Shared pieces of the export tests: where the fixtures are (the bundle's copy, and the source
// tree's for regenerating), JSON and f32 readers, and the temporary-directory helper.
import Foundation
import Testing

enum ExportFixtures {
    /// The bundled fixtures (Tests/StagesTests/Fixtures/export).
    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/export") }
    /// The same folder in the source tree (written when regenerating).
    static var sourceDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/export")
    }
    static var tinyModel: URL { directory.appendingPathComponent("tiny") }
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static let types = ["f32", "f16", "bf16", "q8_0", "q4_0"]
    /// `RUNNER_UPDATE_EXPORT_FIXTURES=1` rewrites tiny.<type>.gguf (then rerun tools/reference/export_fixtures.py).
    static var updating: Bool { ProcessInfo.processInfo.environment["RUNNER_UPDATE_EXPORT_FIXTURES"] == "1" }

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func logits() throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent("logits.bin"))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func ids(_ value: Any?) -> [[Int32]] {
        ((value as? [Any]) ?? []).map { (($0 as? [Any]) ?? []).map { Int32(($0 as! NSNumber).intValue) } }
    }

    /// A fresh temporary directory, removed when `body` returns.
    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runner-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }
}
