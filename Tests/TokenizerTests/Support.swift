// TokenizerTests support: fixture loading, the SmolLM2 GGUF, and the GGUF-metadata → TokenizerDescription
// mapping that callers (Models, Stages) use.

import Basics
import Formats
import Models
import Foundation
import Testing
@testable import Tokenizer

/// One text and what Hugging Face `tokenizers` made of it (tools/reference/tokenizer_fixtures.py).
struct ParityCase: Decodable {
    var text: String
    var ids: [Int32]
    var ids_no_special: [Int32]
    var decoded: String
    var decoded_skip_special: String
    var prefix_decodes: [String]?
}

struct ParityFixture: Decodable {
    var source: String
    var cases: [ParityCase]
}

struct SplitFixture: Decodable {
    struct Pattern: Decodable {
        var pattern: String
        var pieces: [[String]]
    }
    var texts: [String]
    var patterns: [Pattern]
}

enum Fixtures {
    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The package root, found from this file's path.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// models/SmolLM2-135M-Instruct.Q4_1.gguf, or a failure telling how to get it.
    static func smolLM2() throws -> URL {
        let url = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
        try #require(FileManager.default.fileExists(atPath: url.path),
                     "missing \(url.path): run scripts/bootstrap.sh to fetch the SmolLM2 model")
        return url
    }

    static var llamaSPM: URL { directory.appendingPathComponent("ggml-vocab-llama-spm.gguf") }
}

/// How GGUF metadata maps onto the neutral description: the production mapping in Models.
func tokenizerDescription(_ metadata: GGUFMetadata) throws -> TokenizerDescription {
    try ModelBundle.tokenizerDescription(metadata)
}

func description(ofGGUF url: URL) throws -> TokenizerDescription {
    try tokenizerDescription(GGUFFile(contentsOf: url).metadata)
}

/// Loaded once per test process: the GGUF parse and merge table are the slow part.
enum Shared {
    static let smolDescription: Result<TokenizerDescription, Error> = Result { try description(ofGGUF: Fixtures.smolLM2()) }
    static let smol: Result<Tokenizer, Error> = Result { try Tokenizer(description: smolDescription.get()) }
    static let llamaDescription: Result<TokenizerDescription, Error> = Result { try description(ofGGUF: Fixtures.llamaSPM) }
    static let llama: Result<Tokenizer, Error> = Result { try Tokenizer(description: llamaDescription.get()) }
}

/// Compares a tokenizer with a parity fixture, case by case.
func expectParity(_ tokenizer: Tokenizer, _ fixture: ParityFixture, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for item in fixture.cases {
        let label = "text \(item.text.debugDescription.prefix(80))"
        #expect(tokenizer.encode(item.text, addSpecialTokens: true) == item.ids, "\(label)", sourceLocation: sourceLocation)
        #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.ids_no_special, "\(label)", sourceLocation: sourceLocation)
        #expect(tokenizer.decode(item.ids, skipSpecialTokens: false) == item.decoded, "\(label)", sourceLocation: sourceLocation)
        #expect(tokenizer.decode(item.ids, skipSpecialTokens: true) == item.decoded_skip_special, "\(label)", sourceLocation: sourceLocation)
        if let prefixes = item.prefix_decodes {
            for (count, expected) in prefixes.enumerated() {
                #expect(tokenizer.decode(Array(item.ids_no_special.prefix(count + 1))) == expected, "\(label) prefix \(count + 1)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}
