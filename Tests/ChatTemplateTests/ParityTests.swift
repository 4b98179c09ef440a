// Parity with transformers: every real model template × conversation rendered by
// tools/reference/chat_template_fixtures.py must render to the identical text (or be rejected
// with the template's own message), and `{% generation %}` spans must match its indices.
import Foundation
import Testing
import ChatTemplate

@Suite struct ParityTests {
    static let templateFiles: [String] = {
        var names = Set<String>()
        for case .dict(let c) in Fixtures.cases["cases"]!.listValue! { names.insert(c["template"]!.stringValue!) }
        return names.sorted()
    }()

    @Test(arguments: templateFiles)
    func modelTemplateMatchesTransformers(file: String) throws {
        let template = try ChatTemplate(source: try Fixtures.template(file), name: file)
        var checked = 0
        for case .dict(let c) in Fixtures.cases["cases"]!.listValue! where c["template"]!.stringValue == file {
            let label = "\(file) / \(c["conversation"]!.stringValue!) / add_generation_prompt=\(c["add_generation_prompt"]!)"
            var extra = c["extra"]!.dictValue!
            if c["tools"]! != .none { extra["tools"] = c["tools"]! }
            let render = {
                try template.render(messages: c["messages"]!.listValue!,
                                    addGenerationPrompt: c["add_generation_prompt"]! == .bool(true),
                                    bosToken: c["bos_token"]!.stringValue, eosToken: c["eos_token"]!.stringValue,
                                    extra: extra, now: Fixtures.fixedNow)
            }
            if let expected = c["text"]?.stringValue {
                let rendered = try render()
                #expect(rendered.text == expected, "\(label)")
                let spans = c["generation_spans"]!.listValue!.map { $0.listValue!.map { $0.intValue! } }
                #expect(rendered.generationSpans.map { [$0.scalars.lowerBound, $0.scalars.upperBound] } == spans, "\(label)")
            } else {
                let message = c["error"]!.stringValue!
                guard let error = expectTemplateError({ _ = try render() }) else { continue }
                switch c["error_type"]!.stringValue! {
                case "TemplateError": #expect(error.kind == .raised(message: message), "\(label): \(error)")
                case "TypeError": #expect(error.kind == .type && error.message == message, "\(label): \(error)")
                case "UndefinedError": #expect(error.kind == .undefined && error.message == message, "\(label): \(error)")
                default: Issue.record("unexpected reference error type in \(label)")
                }
                #expect(error.location != nil, "\(label)")
            }
            checked += 1
        }
        #expect(checked >= 18)
    }

    @Test func snippetsMatchJinja() throws {
        let context = Fixtures.cases["snippet_context"]!.dictValue!
        for case .dict(let c) in Fixtures.cases["snippets"]!.listValue! {
            let source = c["template"]!.stringValue!
            let render = { try ChatTemplate(source: source).render(messages: [TemplateValue](), extra: context, now: Fixtures.fixedNow) }
            if let expected = c["text"]?.stringValue {
                do {
                    #expect(try render().text == expected, "\(source)")
                } catch {
                    Issue.record("\(source): \(error)")
                }
            } else {
                let message = c["error"]!.stringValue!
                guard let error = expectTemplateError({ _ = try render() }) else { continue }
                switch c["error_type"]!.stringValue! {
                case "TemplateError": #expect(error.kind == .raised(message: message), "\(source): \(error)")
                case "TypeError": #expect(error.kind == .type && error.message == message, "\(source): \(error)")
                case "UndefinedError": #expect(error.kind == .undefined && error.message == message, "\(source): \(error)")
                case "ValueError": #expect(error.kind == .type && error.message == message, "\(source): \(error)")
                default: Issue.record("unexpected reference error type for \(source)")
                }
            }
        }
    }

    @Test func generationSpansAgreeInBothUnits() throws {
        let template = try ChatTemplate(source: try Fixtures.template("chatml-generation.jinja"))
        let messages: [[String: TemplateValue]] = [
            ["role": "user", "content": "Grüße 👋"], ["role": "assistant", "content": "  Hallo — 你好 😀  "],
            ["role": "user", "content": "again"], ["role": "assistant", "content": "ok"],
        ]
        let rendered = try template.render(messages: messages)
        #expect(rendered.generationSpans.count == 2)
        let scalars = Array(rendered.text.unicodeScalars)
        let bytes = Array(rendered.text.utf8)
        for span in rendered.generationSpans {
            let byScalars = String(String.UnicodeScalarView(scalars[span.scalars]))
            let byBytes = String(decoding: bytes[span.utf8], as: UTF8.self)
            #expect(byScalars == byBytes)
            #expect(byScalars.hasSuffix("<|im_end|>"))
        }
    }
}
