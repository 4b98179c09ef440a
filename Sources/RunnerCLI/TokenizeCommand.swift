// `runner tokenize`: prints the token ids (and pieces) a model's tokenizer gives for a text, like
// llama.cpp's llama-tokenize — for people debugging their data and templates.
import ArgumentParser
import Basics
import Foundation
import Models

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text.",
        discussion: "MODEL is a .gguf file, a Hugging Face directory, or a `load` stage's output.")

    @Option(name: .long, help: "The model whose tokenizer to use.")
    var model: String

    @Option(name: .long, help: "The text to tokenize.")
    var text: String?

    @Option(name: .long, help: "A UTF-8 file to tokenize.")
    var file: String?

    @Flag(name: .customLong("no-special"), help: "Don't add BOS/EOS tokens.")
    var noSpecial = false

    @Flag(name: .long, help: "Print JSON: {\"ids\": [...], \"pieces\": [...]}.")
    var json = false

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        let input: String
        if let text {
            input = text
        } else {
            let url = URL(fileURLWithPath: file!)
            guard let data = FileManager.default.contents(atPath: url.path) else { throw RunnerError(url.path, "cannot read file") }
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw RunnerError(url.path, "is not valid UTF-8", hint: "convert it to UTF-8 first")
            }
            input = decoded
        }
        let tokenizer = try ModelBundle.open(URL(fileURLWithPath: model)).tokenizer
        let ids = tokenizer.encode(input, addSpecialTokens: !noSpecial)
        let pieces = ids.map { tokenizer.tokenPiece($0) ?? "" }
        if json {
            struct Output: Encodable { var ids: [Int32]; var pieces: [String] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Console.out(String(decoding: try encoder.encode(Output(ids: ids, pieces: pieces)), as: UTF8.self))
            return
        }
        for (id, piece) in zip(ids, pieces) {
            let shown = String(decoding: tokenizer.tokenBytes(id) ?? Array(piece.utf8), as: UTF8.self)
            Console.out(String(format: "%6d -> ", id) + "'" + shown.debugDescriptionBody + "'")
        }
        Console.error("\(ids.count) tokens")
    }
}

private extension String {
    /// The string with control characters escaped (as in a Swift literal, without the quotes).
    var debugDescriptionBody: String { String(debugDescription.dropFirst().dropLast()) }
}
