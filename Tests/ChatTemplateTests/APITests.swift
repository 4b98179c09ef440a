// The public surface around rendering: ordered JSON input, message normalization the way
// apply_chat_template does it, and errors as Basics diagnostics.
import Foundation
import Testing
import ChatTemplate

@Suite struct APITests {
    @Test func jsonKeepsKeyOrderAndPythonNumberTypes() throws {
        let value = try TemplateValue(json: #"{"z": 1, "a": [1.0, 2, -3e2, "\u00e9\ud83d\ude00"], "m": {"b": null, "a": true}}"#)
        let rendered = try ChatTemplate(source: "{{ v | tojson }}|{{ v.a }}")
            .render(messages: [TemplateValue](), extra: TemplateDictionary([("v", value)]))
        // Same as Python: json.loads keeps order and int/float; tojson and str() print them back.
        #expect(rendered.text == #"{"z": 1, "a": [1.0, 2, -300.0, "é😀"], "m": {"b": null, "a": true}}|[1.0, 2, -300.0, 'é😀']"#)
    }

    @Test func malformedJSONIsAnErrorWithOffset() {
        for text in ["{\"a\": }", "[1, 2", "{\"a\" 1}", "nul", "\"unterminated", #""\ud800\u0041""#] {
            let error = expectTemplateError({ _ = try TemplateValue(json: text) })
            #expect(error?.kind == .syntax, "\(text)")
            #expect(error?.message.hasPrefix("invalid JSON at offset") == true, "\(text)")
        }
    }

    @Test func noneKeysAreDroppedAndRoleAndContentComeFirst() throws {
        let template = try ChatTemplate(source: "{{ messages | tojson }}")
        let out = try template.render(messages: [["tool_calls": .none, "content": "hi", "role": "user", "name": "n"]])
        #expect(out.text == #"[{"role": "user", "content": "hi", "name": "n"}]"#)
    }

    @Test func errorsConvertToDiagnostics() {
        let error = expectTemplateError({ _ = try ChatTemplate(source: "ok\n{% include 'x' %}", name: "model.jinja") })
        #expect(error?.diagnostic.location?.file == "model.jinja")
        #expect(error?.diagnostic.location?.line == 2)
        #expect(error?.description.hasPrefix("model.jinja:2:4: error: `{% include %}` is not supported") == true,
                "\(String(describing: error))")
    }
}
