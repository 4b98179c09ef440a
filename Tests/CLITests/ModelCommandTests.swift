// `runner tokenize` and `runner generate` on the real SmolLM2 model, checked against what
// transformers produced for the same prompts (Tests/ModelsTests/Fixtures/smollm2/reference.json,
// written by tools/reference/model_fixtures.py).
import Foundation
import Testing

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let smolLM2 = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")

private struct Reference: Decodable {
    struct Record: Decodable {
        var text: String
        var tokens: [Int32]
        var greedy64: [Int32]
    }
    var eos_token_id: Int32
    var records: [Record]
}

private func reference() throws -> Reference {
    let url = packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/smollm2/reference.json")
    return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
}

private func requireModel() throws {
    try #require(FileManager.default.fileExists(atPath: smolLM2.path), "models/SmolLM2-135M-Instruct.Q4_1.gguf is missing: run scripts/bootstrap.sh")
}

private struct TokenizeOutput: Decodable { var ids: [Int32]; var pieces: [String] }

private func tokenize(_ text: String, in project: Project) throws -> [Int32] {
    let result = try project.run(["tokenize", "--model", smolLM2.path, "--text", text, "--json"], binary: "runner")
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONDecoder().decode(TokenizeOutput.self, from: Data(result.stdout.utf8)).ids
}

@Test func tokenizeGivesTransformersIdsForChatPrompts() throws {
    try requireModel()
    let project = Project()
    defer { project.cleanup() }
    for record in try reference().records {
        #expect(try tokenize(record.text, in: project) == record.tokens, "\(record.text.prefix(60))")
    }
}

@Test func tokenizePrintsPiecesAndRejectsBadArguments() throws {
    try requireModel()
    let project = Project()
    defer { project.cleanup() }
    let listing = try project.run(["tokenize", "--model", smolLM2.path, "--text", "Hello world"], binary: "runner")
    #expect(listing.status == 0)
    #expect(listing.stdout.contains("'Hello'") && listing.stdout.contains("' world'"))
    let both = try project.run(["tokenize", "--model", smolLM2.path, "--text", "a", "--file", "b"], binary: "runner")
    #expect(both.status == 2)
    #expect(both.stderr.contains("exactly one of --text and --file"))
    let missing = try project.run(["tokenize", "--model", "nope.gguf", "--text", "a"], binary: "runner")
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nope.gguf: no such file or directory"))
}

/// The chat prompt goes through our Jinja template and tokenizer, the answer through our model and
/// decoder: its tokens must be transformers' greedy answer to the same conversation.
@Test func generateWithChatTemplateMatchesTransformersGreedyAnswer() throws {
    try requireModel()
    let project = Project()
    defer { project.cleanup() }
    let fixture = try reference()
    let record = fixture.records[0]  // "What is the capital of France?" in SmolLM2's ChatML template
    let question = "What is the capital of France?"
    #expect(record.text.contains(question))
    let result = try project.run(["generate", "--model", smolLM2.path, "--chat", "--prompt", question,
                                  "--max-new-tokens", "64"], binary: "runner", timeout: 120)
    #expect(result.status == 0, "\(result.stderr)")
    var expected = record.greedy64
    if expected.last == fixture.eos_token_id { expected.removeLast() }
    let answer = String(result.stdout.dropLast())  // the command ends the answer with one newline
    #expect(try tokenize(answer, in: project) == expected, "answer: \(answer)")
    #expect(result.stderr.contains("stop: eos") || expected.count == 64)
}
