// The evaluation part of report.html: model vs baseline aggregates, then every question with both
// answers, the facts each one hit (green) or missed (red), and ROUGE-L.
import Foundation

enum EvalSection {
    static func render(_ evaluation: RunReport.Evaluation) -> String {
        let r = evaluation.results
        var out = "<section><h2>Evaluation · <code>\(HTML.escape(evaluation.stage))</code></h2>"
        out += "<p class=\"muted\">\(r.questions.count) questions from <code>\(HTML.escape(r.questionsFile))</code>; greedy decoding, "
        out += "at most \(r.settings.maxNewTokens) new tokens, chat template \(r.settings.chat ? "on" : "off").</p>"
        out += summaryTable(r)
        let open = r.questions.count <= 12 ? " open" : ""
        out += "<details\(open)><summary>Answers to all \(r.questions.count) questions</summary>"
        out += "<table class=\"answers\"><thead><tr><th>Question</th>"
        if let baseline = r.baseline { out += "<th>Baseline · <code>\(HTML.escape(baseline.stage))</code></th>" }
        out += "<th>Model · <code>\(HTML.escape(r.model.stage))</code></th></tr></thead><tbody>"
        for item in r.questions {
            out += "<tr><td class=\"prompt\">"
            if let id = item.id { out += "<div class=\"muted small\">\(HTML.escape(id))</div>" }
            out += HTML.escape(item.prompt)
            if let reference = item.reference { out += "<div class=\"reference\"><span class=\"muted small\">reference</span> \(HTML.escape(reference))</div>" }
            out += "</td>"
            if let baseline = item.baseline { out += answerCell(baseline) }
            out += answerCell(item.model) + "</tr>"
        }
        return out + "</tbody></table></details></section>"
    }

    static func summaryTable(_ r: EvalResults) -> String {
        var rows: [(String, Double?, Double?)] = []
        if r.metrics.contains(.factRecall) { rows.append(("Fact recall", r.baseline?.factRecall, r.model.factRecall)) }
        if r.metrics.contains(.rougeL) { rows.append(("ROUGE-L (F)", r.baseline?.rougeL, r.model.rougeL)) }
        var out = "<table class=\"summary\"><thead><tr><th>Metric</th>"
        if let baseline = r.baseline { out += "<th class=\"num\">Baseline · <code>\(HTML.escape(baseline.stage))</code></th>" }
        out += "<th class=\"num\">Model · <code>\(HTML.escape(r.model.stage))</code></th>"
        if r.baseline != nil { out += "<th class=\"num\">Change</th>" }
        out += "</tr></thead><tbody>"
        for (name, base, model) in rows {
            out += "<tr><td>\(name)</td>"
            if r.baseline != nil { out += "<td class=\"num\">\(base.map(HTML.percent) ?? "—")</td>" }
            out += "<td class=\"num\"><b>\(model.map(HTML.percent) ?? "—")</b></td>"
            if r.baseline != nil {
                if let base, let model {
                    let delta = (model - base) * 100
                    let cls = delta > 0.05 ? "up" : delta < -0.05 ? "down" : "same"
                    out += "<td class=\"num \(cls)\">\(String(format: "%+.1f", delta)) pts</td>"
                } else {
                    out += "<td class=\"num\">—</td>"
                }
            }
            out += "</tr>"
        }
        func factsLine(_ s: EvalSummary) -> String { s.factsTotal > 0 ? "\(s.factsHit) / \(s.factsTotal) facts" : "" }
        out += "<tr class=\"muted\"><td>Facts found</td>"
        if let baseline = r.baseline { out += "<td class=\"num\">\(factsLine(baseline))</td>" }
        out += "<td class=\"num\">\(factsLine(r.model))</td>\(r.baseline != nil ? "<td></td>" : "")</tr>"
        out += "<tr class=\"muted\"><td>Tokens/s</td>"
        func speed(_ s: EvalSummary) -> String { s.seconds > 0 ? String(format: "%.1f", Double(s.newTokens) / s.seconds) : "—" }
        if let baseline = r.baseline { out += "<td class=\"num\">\(speed(baseline))</td>" }
        out += "<td class=\"num\">\(speed(r.model))</td>\(r.baseline != nil ? "<td></td>" : "")</tr>"
        return out + "</tbody></table>"
    }

    static func answerCell(_ a: ScoredAnswer) -> String {
        var out = "<td><div class=\"answer\">\(HTML.escape(a.answer.trimmingCharacters(in: .whitespacesAndNewlines)))</div><div class=\"chips\">"
        out += (a.factsHit ?? []).map { "<span class=\"chip hit\" title=\"found\">✓ \(HTML.escape($0))</span>" }.joined()
        out += (a.factsMissed ?? []).map { "<span class=\"chip miss\" title=\"missing\">✗ \(HTML.escape($0))</span>" }.joined()
        out += "</div><div class=\"muted small\">"
        var notes: [String] = []
        if let rouge = a.rougeL { notes.append("ROUGE-L \(String(format: "%.3f", rouge))") }
        notes.append("\(a.newTokens) tokens")
        if a.stopReason != "eos" { notes.append("stopped: \(HTML.escape(a.stopReason))") }
        return out + notes.joined(separator: " · ") + "</div></td>"
    }
}
