// Input ids and labels against TRL's SFT preprocessing (tools/reference/data_fixtures.py) with
// SmolLM2's tokenizer: completion-only loss for prompt–completion data (plain and chat-templated),
// assistant-only loss with a `{% generation %}` template, and our prefix-diff assistant masks on
// SmolLM2's own ChatML template.
import ChatTemplate
import Foundation
import Testing
@testable import Data

@Suite struct ParityTests {
    struct Example: Decodable { var input_ids: [Int32]; var labels: [Int32] }
    struct Row: Decodable { var question: String; var answer: String }
    struct Message: Decodable { var role: String; var content: String }
    struct Conversation: Decodable { var messages: [Message] }
    struct Fixture: Decodable {
        var system_prompt: String
        var generation_template: String
        var rows: [Row]
        var conversations: [Conversation]
        var cases: [String: [Example]]
    }

    static let fixture: Fixture = try! JSONDecoder().decode(Fixture.self, from: Foundation.Data(contentsOf: Support.fixtures.appendingPathComponent("sft_parity.json")))

    /// The fixture's rows as a JSONL dataset file (question/answer columns).
    func faqFile() throws -> DatasetSource {
        let lines = try Self.fixture.rows.map { row in
            String(decoding: try JSONSerialization.data(withJSONObject: ["question": row.question, "answer": row.answer], options: [.sortedKeys]), as: UTF8.self)
        }
        return DatasetSource(url: try Support.file("faq.jsonl", lines.joined(separator: "\n") + "\n"), displayPath: "faq.jsonl")
    }

    func conversationsFile(withSystem: Bool) throws -> DatasetSource {
        let lines = try Self.fixture.conversations.map { conversation in
            let messages = conversation.messages.filter { withSystem || $0.role != "system" }.map { ["role": $0.role, "content": $0.content] }
            return String(decoding: try JSONSerialization.data(withJSONObject: ["messages": messages], options: [.sortedKeys]), as: UTF8.self)
        }
        return DatasetSource(url: try Support.file("chat.jsonl", lines.joined(separator: "\n")), displayPath: "chat.jsonl")
    }

    func build(_ source: DatasetSource, template: String? = nil, configure: (inout DatasetOptions) -> Void) throws -> [TokenizedExample] {
        let smol = try Support.smol()
        var options = DatasetOptions()
        options.shuffle = false
        options.maxSequenceLength = 4096
        configure(&options)
        let builder = try DatasetBuilder(options: options, tokenizer: smol.tokenizer, chatTemplate: template ?? smol.template)
        return try builder.build(train: source).train.examples
    }

    func expectMatches(_ examples: [TokenizedExample], _ caseName: String) throws {
        let expected = try #require(Self.fixture.cases[caseName])
        try #require(examples.count == expected.count, "\(caseName): \(examples.count) examples, TRL has \(expected.count)")
        for (index, (ours, theirs)) in zip(examples, expected).enumerated() {
            #expect(ours.ids == theirs.input_ids, "\(caseName) example \(index): input ids differ")
            #expect(ours.labels == theirs.labels, "\(caseName) example \(index): labels differ")
        }
    }

    @Test func templateCompletionOnlyMatchesTRL() throws {
        let examples = try build(try faqFile()) {
            $0.format = .template
            $0.template = "<human>: {question}\n<assistant>: {answer}"
        }
        try expectMatches(examples, "template_completion")
    }

    @Test func alpacaCompletionOnlyMatchesTRL() throws {
        let examples = try build(try faqFile()) {
            $0.format = .alpaca
            $0.columns = ["instruction": "question", "output": "answer"]
        }
        try expectMatches(examples, "alpaca_completion")
    }

    @Test func chatTemplatedCompletionOnlyMatchesTRL() throws {
        let examples = try build(try faqFile()) {
            $0.format = .alpaca
            $0.columns = ["instruction": "question", "output": "answer"]
            $0.useChatTemplate = true
            $0.systemPrompt = Self.fixture.system_prompt
        }
        try expectMatches(examples, "chat_completion")
    }

    @Test func assistantOnlyWithGenerationMarkersMatchesTRL() throws {
        let examples = try build(try conversationsFile(withSystem: true), template: Self.fixture.generation_template) {
            $0.format = .chat
            $0.lossOn = .assistant
        }
        try expectMatches(examples, "chat_assistant_generation")
    }

    @Test func prefixDiffAssistantMasksOnSmolLM2Template() throws {
        let examples = try build(try conversationsFile(withSystem: false)) {
            $0.format = .chat
            $0.lossOn = .assistant
        }
        try expectMatches(examples, "chat_assistant_prefix_diff")
    }
}
