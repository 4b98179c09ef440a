// ChatTemplateTests: test support — fixture loading (with our order-preserving JSON reader) and
// the pinned date the reference script used for `strftime_now`.
import Foundation
import Testing
import ChatTemplate

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func template(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("templates").appendingPathComponent(file), encoding: .utf8)
    }

    /// chat_template_cases.json, written by tools/reference/chat_template_fixtures.py.
    static let cases: TemplateDictionary = {
        let text = try! String(contentsOf: directory.appendingPathComponent("chat_template_cases.json"), encoding: .utf8)
        guard case .dict(let root) = try! TemplateValue(json: text) else { fatalError("fixture root is not an object") }
        return root
    }()

    /// The reference pinned `datetime.now()` to 2024-07-26 12:00 local time.
    static let fixedNow: Date = {
        var components = DateComponents()
        (components.year, components.month, components.day, components.hour) = (2024, 7, 26, 12)
        return Calendar(identifier: .gregorian).date(from: components)!
    }()
}

extension TemplateValue {
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var listValue: [TemplateValue]? { if case .list(let l) = self { return l }; return nil }
    var dictValue: TemplateDictionary? { if case .dict(let d) = self { return d }; return nil }
    var intValue: Int? { if case .int(let i) = self { return i }; return nil }
}

/// Runs `body` and returns the ChatTemplateError it throws (failing the test if it does not).
func expectTemplateError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ChatTemplateError? {
    do {
        try body()
        Issue.record("expected a ChatTemplateError, got success", sourceLocation: sourceLocation)
    } catch let error as ChatTemplateError {
        return error
    } catch {
        Issue.record("expected a ChatTemplateError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
