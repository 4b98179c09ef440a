// DataTests: test support — fixtures, the SmolLM2 tokenizer and chat template from the model's GGUF,
// and temporary dataset files.
import ChatTemplate
import Foundation
import Formats
import Models
import Testing
import Tokenizer
@testable import Data

enum Support {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// SmolLM2's tokenizer and chat template, read from models/SmolLM2-135M-Instruct.Q4_1.gguf once.
    static let smolLM2: Result<(tokenizer: Tokenizer, template: String), Error> = Result {
        let url = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestFailure("missing \(url.path): run scripts/bootstrap.sh to fetch SmolLM2-135M-Instruct")
        }
        let metadata = try GGUFFile(contentsOf: url).metadata
        let tokenizer = try Tokenizer(description: ModelBundle.tokenizerDescription(metadata))
        return (tokenizer, try metadata.string("tokenizer.chat_template"))
    }

    static func smol() throws -> (tokenizer: Tokenizer, template: String) { try smolLM2.get() }

    /// Writes `text` to a fresh temporary file named `name`.
    static func file(_ name: String, _ text: String) throws -> URL {
        try file(name, bytes: Array(text.utf8))
    }

    static func file(_ name: String, bytes: [UInt8]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runner-data-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Foundation.Data(bytes).write(to: url)
        return url
    }

    /// Reads a file of records through `DatasetReader`.
    static func read(_ name: String, _ text: String, skip: Bool = false, recordsKey: String? = nil) throws -> DatasetReadResult {
        try DatasetReader(skipMalformed: skip, recordsKey: recordsKey).read(try file(name, text), displayPath: name)
    }

    /// The rendered message of a thrown error.
    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "(no error)"
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension DatasetRecord {
    /// The record's string field (tests).
    func string(_ key: String) -> String? { if case .string(let s)? = fields[key] { s } else { nil } }
}
