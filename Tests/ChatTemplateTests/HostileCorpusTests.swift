// The hostile chat templates of the fuzzers' seeds (fuzz/corpus/chat_template/bad-*) as regression
// tests: each fails to parse or render exactly as docs/RELIABILITY.md lists, within the default limits.
import ChatTemplate
import Foundation
import RunnerTestSupport
import Testing

struct HostileCorpusTests {
    let noMessages: [[String: TemplateValue]] = []

    @Test func hostileTemplatesFailAsDocumented() throws {
        let messages: [[String: TemplateValue]] = [
            ["role": .string("user"), "content": .string("Hi")],
            ["role": .string("assistant"), "content": .string("Hello!")],
        ]
        try HostileTable.check("chat_template") { data, name in
            let template = try ChatTemplate(source: String(decoding: data, as: UTF8.self), name: name)
            let rendered = try template.render(messages: messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                                               now: Date(timeIntervalSince1970: 1_700_000_000))
            return "renders \(rendered.text.utf8.count) bytes"
        }
    }

    @Test func hugeIndentationIsRefusedBeforeAllocating() throws {
        let template = try ChatTemplate(source: "{{ 'a\\nb'|indent(1000000000000) }}")
        let error = expectTemplateError { _ = try template.render(messages: noMessages) }
        #expect(error?.description.contains("the indentation would have 1000000000000 elements/bytes") == true, "\(String(describing: error))")
        // Within the budget per line, but not over many lines.
        let lines = String(repeating: "x\n", count: 100)
        let wide = try ChatTemplate(source: "{{ text|indent(1000000) }}")
        let tooBig = expectTemplateError { _ = try wide.render(messages: noMessages, extra: ["text": .string(lines)]) }
        #expect(tooBig?.description.contains("the indented string would have") == true, "\(String(describing: tooBig))")
        #expect(try ChatTemplate(source: "{{ 'a\\nb'|indent(2) }}").render(messages: noMessages).text == "a\n  b")
    }

    @Test func hugeToJSONIndentationIsRefusedBeforeAllocating() throws {
        let template = try ChatTemplate(source: "{{ messages|tojson(indent=1000000000000) }}")
        let error = expectTemplateError { _ = try template.render(messages: [["role": .string("user")]]) }
        #expect(error?.description.contains("the tojson indentation would have 1000000000000") == true, "\(String(describing: error))")
        let deep = try ChatTemplate(source: "{{ messages|tojson(indent=10000000) }}")
        let tooBig = expectTemplateError { _ = try deep.render(messages: [["role": .string("user"), "content": .string("x")]]) }
        #expect(tooBig?.description.contains("tojson output would have") == true, "\(String(describing: tooBig))")
        #expect(try ChatTemplate(source: "{{ [1]|tojson(indent=2) }}").render(messages: noMessages).text == "[\n  1\n]")
    }
}
