// Hostile and invalid templates: every budget stops a runaway template quickly with an error
// naming the limit and the position; unsupported constructs and syntax errors name line:col.
import Foundation
import Testing
import ChatTemplate

@Suite struct SafetyTests {
    func render(_ source: String, limits: ChatTemplateLimits = ChatTemplateLimits()) throws -> String {
        try ChatTemplate(source: source, name: "t.jinja", limits: limits)
            .render(messages: [["role": "user", "content": "hi"]]).text
    }

    /// The template must fail with `limitExceeded(limit)` at `line:column`, within a second.
    func expectLimit(_ source: String, _ limit: String, line: Int, column: Int?,
                     limits: ChatTemplateLimits = ChatTemplateLimits(), sourceLocation: SourceLocation = #_sourceLocation) {
        let start = Date()
        let error = expectTemplateError({ _ = try render(source, limits: limits) }, sourceLocation: sourceLocation)
        #expect(Date().timeIntervalSince(start) < 5, "took too long", sourceLocation: sourceLocation)
        guard let error else { return }
        #expect(error.kind == .limitExceeded(limit: limit), "\(error)", sourceLocation: sourceLocation)
        #expect(error.location?.line == line, "\(error)", sourceLocation: sourceLocation)
        if let column {
            #expect(error.location?.column == column, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("t.jinja:\(line):\(column): error:"), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func hugeRangeIsRefused() {
        expectLimit("{% for i in range(10**9) %}x{% endfor %}", "range", line: 1, column: 18)
    }

    @Test func nestedLoopsHitTheIterationBudget() {
        expectLimit("{% for i in range(1000) %}\n{% for j in range(1000) %}{{ i }}{% endfor %}{% endfor %}",
                    "loop iterations", line: 2, column: 1)
    }

    @Test func exponentialOutputHitsTheOutputBudget() {
        var limits = ChatTemplateLimits()
        limits.maxOutputBytes = 1 << 20
        expectLimit("{% for i in range(100000) %}{{ 'abcdefghij' * 100 }}{% endfor %}", "output size", line: 1, column: 29,
                    limits: limits)
    }

    @Test func stringDoublingHitsTheValueBudget() {
        expectLimit("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                    "value size", line: 1, column: 76)
    }

    @Test func hugeStringRepetitionIsRefusedBeforeAllocating() {
        expectLimit("{{ 'x' * 1000000000000 }}", "value size", line: 1, column: 8)
        expectLimit("{{ ['x'] * 1000000000 }}", "value size", line: 1, column: 10)
    }

    @Test func unboundedMacroRecursionHitsTheCallDepth() {
        expectLimit("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "call depth", line: 1, column: 21)
    }

    @Test func exponentialMacroFanOutIsStopped() {
        // f(n) calls f(n-1) twice: 2^25 calls if unchecked, within the call-depth limit.
        let source = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}x{% endmacro %}{{ f(25) }}"
        let start = Date()
        let error = expectTemplateError({ _ = try render(source) })
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(error?.kind == .limitExceeded(limit: "steps") || error?.kind == .limitExceeded(limit: "output size"),
                "\(String(describing: error))")
    }

    @Test func stepBudgetStopsLongComputations() {
        var limits = ChatTemplateLimits()
        limits.maxSteps = 10_000
        expectLimit("{% for i in range(100000) %}{% if i > -1 %}{% endif %}{% endfor %}", "steps", line: 1, column: nil,
                    limits: limits)
    }

    @Test func deepRuntimeNestingIsStoppedBeforeTheStackRunsOut() {
        // Each call nests 30 list levels and recurses: evaluation depth grows ~32 per call, far below
        // the call-depth limit, so the nesting-depth budget must stop it (on a test thread's stack).
        let nested = String(repeating: "[", count: 30) + "f(n + 1)" + String(repeating: "]", count: 30)
        let source = "{% macro f(n) %}{{ \(nested) }}{% endmacro %}{{ f(0) }}"
        let error = expectTemplateError({ _ = try render(source) })
        #expect(error?.kind == .limitExceeded(limit: "nesting depth"), "\(String(describing: error))")
    }

    @Test func deepNestingIsRefusedAtParseTime() {
        let deep = "{{ " + String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500) + " }}"
        guard let error = expectTemplateError({ _ = try ChatTemplate(source: deep) }) else { return }
        #expect(error.kind == .limitExceeded(limit: "nesting depth"))
        let chain = "{{ " + Array(repeating: "1", count: 5000).joined(separator: " + ") + " }}"
        #expect(expectTemplateError({ _ = try ChatTemplate(source: chain) })?.kind == .limitExceeded(limit: "nesting depth"))
    }

    @Test func unsupportedTagsAreNamedWithPosition() {
        for (source, construct, column) in [("{% include 'x.jinja' %}", "{% include %}", 4),
                                            ("a\n  {% import 'm' as m %}", "{% import %}", 6),
                                            ("{% extends 'base' %}", "{% extends %}", 4)] {
            let error = expectTemplateError({ _ = try ChatTemplate(source: source, name: "t.jinja") })
            #expect(error?.kind == .unsupported(construct: construct), "\(String(describing: error))")
            #expect(error?.location?.column == column, "\(String(describing: error))")
        }
        let filter = expectTemplateError({ _ = try ChatTemplate(source: "{{ x }}\n{{ x | wordwrap(3) }}") })
        #expect(filter?.kind == .unsupported(construct: "filter wordwrap"))
        #expect(filter?.location?.line == 2 && filter?.location?.column == 8)
        let test = expectTemplateError({ _ = try ChatTemplate(source: "{% if x is prime %}{% endif %}") })
        #expect(test?.kind == .unsupported(construct: "test prime"))
        let typo = expectTemplateError({ _ = try ChatTemplate(source: "{{ messages | lenght }}") })
        #expect(typo?.hint == "did you mean `length`?")
    }

    @Test func syntaxErrorsNameLineAndColumn() {
        let cases: [(String, Int, Int)] = [
            ("{% if x %}\nno end", 1, 1),
            ("{{ 'unclosed }}", 1, 4),
            ("{{ a + }}", 1, 8),
            ("ok\n{% endfor %}", 2, 4),
            ("{# never closed", 1, 1),
            ("{% if x %}\n  {% break %}{% endif %}", 2, 3),
        ]
        for (source, line, column) in cases {
            let error = expectTemplateError({ _ = try ChatTemplate(source: source, name: "t.jinja") })
            #expect(error?.kind == .syntax, "\(source): \(String(describing: error))")
            #expect(error?.location?.line == line && error?.location?.column == column, "\(source): \(String(describing: error))")
        }
    }

    @Test func underscoreAttributesAndMutationAreBlocked() {
        let dunder = expectTemplateError({ _ = try render("{{ messages.__class__ }}") })
        #expect(dunder?.kind == .unsupported(construct: "underscore attribute"))
        let ns = expectTemplateError({ _ = try render("{% set ns = namespace() %}{% set ns._x = 1 %}") })
        #expect(ns?.kind == .unsupported(construct: "underscore attribute"))
        let append = expectTemplateError({ _ = try render("{{ messages.append(1) }}") })
        #expect(append?.kind == .unsupported(construct: "method append"))
    }

    @Test func raiseExceptionCarriesTheTemplateMessage() {
        let error = expectTemplateError({ _ = try render("line\n  {{ raise_exception('Roles must alternate') }}") })
        #expect(error?.kind == .raised(message: "Roles must alternate"))
        #expect(error?.location?.line == 2)
        #expect(error?.description.contains("Roles must alternate") == true)
    }

    @Test func renderingIsDeterministicAndReusable() throws {
        let template = try ChatTemplate(source: try Fixtures.template("qwen2.5-instruct.jinja"))
        let messages: [[String: TemplateValue]] = [["role": "user", "content": "a"], ["role": "assistant", "content": "b"]]
        let first = try template.render(messages: messages, addGenerationPrompt: true)
        let second = try template.render(messages: messages, addGenerationPrompt: true)
        #expect(first == second)
        #expect(!first.text.isEmpty)
    }
}
