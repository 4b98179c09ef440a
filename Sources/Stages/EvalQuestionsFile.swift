// Reads the eval stage's held-out questions: JSON (a list of records, or an object holding one list,
// as data/faq-heldout.json) or JSON Lines, through Data's reader so every problem has a file:line.
import Basics
import ChatTemplate
import Data
import Foundation
import Reports

enum EvalQuestionsFile {
    /// Accepted column names, first match wins.
    static let promptColumns = ["prompt", "question"]
    static let referenceColumns = ["reference", "reference_answer"]
    static let factColumns = ["facts", "required_facts"]

    /// The questions in file order, at most `limit`.
    ///
    /// - Throws: `DiagnosticError` listing every bad record (file:line, what is wrong, how to fix),
    ///   or naming a metric no question can be scored with.
    static func read(_ url: URL, displayPath: String, metrics: [EvalMetric], limit: Int?) throws -> [EvalQuestion] {
        let kind = try DatasetFileKind.forFile(url, displayPath: displayPath)
        guard kind == .json || kind == .jsonl else {
            throw DiagnosticError(Diagnostic(keyPath: displayPath, "eval questions must be JSON or JSON Lines, not .\(url.pathExtension)",
                                             hint: "write one object per line with `prompt`, `reference` and `facts`"))
        }
        var records = try DatasetReader().read(url, displayPath: displayPath).records
        if let limit { records = Array(records.prefix(limit)) }
        guard !records.isEmpty else {
            throw DiagnosticError(Diagnostic(keyPath: displayPath, "the file holds no questions", hint: "add records with a `prompt`"))
        }
        var questions: [EvalQuestion] = []
        var problems: [Diagnostic] = []
        for record in records {
            do {
                questions.append(try question(record))
            } catch let problem as Problem {
                problems.append(Diagnostic(at: SourceLocation(file: displayPath, line: record.line, column: 1),
                                           "record \(record.row): \(problem.message)", hint: problem.hint))
            }
        }
        guard problems.isEmpty else { throw DiagnosticError(problems) }
        if metrics.contains(.factRecall), !questions.contains(where: { !($0.facts ?? []).isEmpty }) {
            throw DiagnosticError(Diagnostic(keyPath: displayPath, "no question has facts, so fact_recall cannot be computed",
                                             hint: "add `facts: [...]` to the records, or set `metrics: [rouge_l]`"))
        }
        if metrics.contains(.rougeL), !questions.contains(where: { $0.reference != nil }) {
            throw DiagnosticError(Diagnostic(keyPath: displayPath, "no question has a reference answer, so rouge_l cannot be computed",
                                             hint: "add `reference` to the records, or set `metrics: [fact_recall]`"))
        }
        return questions
    }

    private struct Problem: Error {
        var message: String
        var hint: String?
    }

    private static func question(_ record: DatasetRecord) throws -> EvalQuestion {
        let fields = record.fields
        func column(_ names: [String]) -> (name: String, value: TemplateValue)? {
            for name in names { if let value = fields[name], value != .none { return (name, value) } }
            return nil
        }
        func string(_ names: [String]) throws -> String? {
            guard let (name, value) = column(names) else { return nil }
            guard case .string(let text) = value else { throw Problem(message: "`\(name)` must be a string", hint: nil) }
            return text
        }
        guard let prompt = try string(promptColumns) else {
            throw Problem(message: "has no `prompt` (or `question`)",
                          hint: "columns found: \(fields.map(\.key).joined(separator: ", "))")
        }
        guard !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Problem(message: "the prompt is empty") }
        var facts: [String]?
        if let (name, value) = column(factColumns) {
            guard case .list(let items) = value else { throw Problem(message: "`\(name)` must be a list of strings", hint: "e.g. [\"30 days\", \"$75\"]") }
            facts = try items.enumerated().map { index, item in
                guard case .string(let fact) = item else { throw Problem(message: "`\(name)[\(index)]` must be a string") }
                guard !FactMatcher.normalize(fact).isEmpty else {
                    throw Problem(message: "`\(name)[\(index)]` (\"\(fact)\") has no letters or digits, so it can never be matched")
                }
                return fact
            }
        }
        let reference = try string(referenceColumns)
        guard reference != nil || facts != nil else {
            throw Problem(message: "has neither a `reference` (or `reference_answer`) nor `facts` (or `required_facts`) to score against")
        }
        let id: String? = switch fields["id"] {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        default: nil
        }
        return EvalQuestion(id: id, prompt: prompt, reference: reference, facts: facts)
    }
}
