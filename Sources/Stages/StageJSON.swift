// Small JSON files stages write and read back (settings, configs, metrics): sorted keys, pretty,
// atomic, so the same settings give the same bytes (and the same artifact digest).
import Basics
import Foundation

enum StageJSON {
    static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(value), to: url)
    }

    /// Reads `url` as `T`; a missing or malformed file is an error naming it.
    static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunnerError(url.path, "is missing", hint: "the artifact is incomplete; re-run the stage that writes it")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw RunnerError(url.path, "cannot be read: \(error)", hint: "the artifact is damaged; re-run the stage that wrote it")
        }
    }
}
