// report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) showing a
// run's stages and timings, training curves, evaluation results and sample generations.
import Foundation

public enum HTMLReport {
    /// Renders `report`. `tensorBoardDirectory`, when given, is mentioned as the place of the event files.
    public static func render(_ report: RunReport, tensorBoardDirectory: String? = nil) -> String {
        var body = header(report)
        body += stagesSection(report)
        for training in report.trainings { body += trainingSection(training) }
        for evaluation in report.evaluations { body += EvalSection.render(evaluation) }
        body += generationsSection(report.generations)
        body += "<footer>Written by runner \(HTML.escape(report.toolVersion)) for run <code>\(HTML.escape(report.runID))</code>."
        if let tensorBoardDirectory {
            body += " Training scalars for TensorBoard: <code>tensorboard --logdir \(HTML.escape(tensorBoardDirectory))</code>."
        }
        body += "</footer>"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(report.recipeName)) — runner report</title>
        <style>\(ReportStyle.css)</style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    // MARK: sections

    static func header(_ report: RunReport) -> String {
        var facts: [(String, String)] = [
            ("Started", HTML.escape(HTML.timestamp(report.startedAt))),
            ("Duration", report.seconds.map(HTML.duration) ?? "—"),
            ("Stages", "\(report.stages.filter { $0.outcome == "miss" }.count) ran · \(report.stages.filter { $0.outcome == "hit" }.count) cached"),
        ]
        if let peak = report.peakRSSBytes { facts.append(("Peak memory (RSS)", HTML.bytes(peak))) }
        if let commit = report.gitCommit {
            facts.append(("Git", "<code>\(HTML.escape(String(commit.prefix(12))))</code>\(report.gitDirty ? " <span class=\"muted\">(dirty)</span>" : "")"))
        }
        facts.append(("Recipe", "<code>\(HTML.escape(report.recipeFile))</code>"))
        var out = "<header><div class=\"title-row\"><h1>\(HTML.escape(report.recipeName))</h1>\(badge(report.status))</div>"
        out += "<p class=\"muted\">run <code>\(HTML.escape(report.runID))</code></p>"
        if let error = report.error { out += "<p class=\"error\">\(HTML.escape(error))</p>" }
        out += "<dl class=\"facts\">" + facts.map { "<div><dt>\($0.0)</dt><dd>\($0.1)</dd></div>" }.joined() + "</dl></header>"
        return out
    }

    static func stagesSection(_ report: RunReport) -> String {
        let longest = report.stages.compactMap { $0.seconds ?? $0.builtSeconds }.max() ?? 0
        var out = "<section><h2>Stages</h2><table class=\"stages\"><thead><tr><th>Stage</th><th>Kind</th><th>Outcome</th>"
        out += "<th class=\"time-col\">Time</th><th>Metrics</th><th class=\"num\">Peak RSS</th></tr></thead><tbody>"
        for stage in report.stages {
            let seconds = stage.seconds ?? stage.builtSeconds
            var time = "—"
            if let seconds {
                let width = longest > 0 ? max(seconds / longest * 100, 0.5) : 0
                let label = stage.seconds == nil ? "built in \(HTML.duration(seconds))" : HTML.duration(seconds)
                time = "<div class=\"bar-wrap\"><div class=\"bar \(stage.outcome == "hit" ? "bar-cached" : "")\" style=\"width:\(String(format: "%.1f", width))%\"></div>"
                    + "<span>\(label)</span></div>"
            }
            let metrics = stage.metrics.keys.sorted().map { "<span class=\"metric\">\(HTML.escape($0)) <b>\(HTML.number(stage.metrics[$0]!))</b></span>" }.joined(separator: " ")
            out += "<tr><td><b>\(HTML.escape(stage.name))</b></td><td><code>\(HTML.escape(stage.kind))</code></td><td>\(badge(stage.outcome))</td>"
            out += "<td>\(time)</td><td class=\"metrics\">\(metrics)\(stage.error.map { "<div class=\"error\">\(HTML.escape($0))</div>" } ?? "")</td>"
            out += "<td class=\"num\">\(stage.peakRSSBytes.map(HTML.bytes) ?? "—")</td></tr>"
        }
        return out + "</tbody></table><p class=\"note\">Peak RSS: the process's high-water mark when a stage that ran finished. Cached stages show how long they took when built.</p></section>"
    }

    static func trainingSection(_ t: RunReport.Training) -> String {
        var cards: [(String, String)] = [
            ("Steps", "\(t.steps.count)"),
            ("Tokens", "\(t.tokens)"),
            ("Tokens/s", String(format: "%.1f", t.tokensPerSecond)),
            ("Time", HTML.duration(t.seconds)),
        ]
        if let last = t.steps.last { cards.append(("Final loss", HTML.number(last.loss))) }
        if let eval = t.evals.last { cards.append(("Final eval loss", HTML.number(eval.loss))) }
        var out = "<section><h2>Training · <code>\(HTML.escape(t.stage))</code></h2>"
        out += "<div class=\"cards\">" + cards.map { "<div class=\"card\"><div class=\"card-label\">\($0.0)</div><div class=\"card-value\">\($0.1)</div></div>" }.joined() + "</div>"
        let steps = t.steps
        let charts = [
            LineChart(title: "Loss", series: [
                .init(name: "train", color: "#2563eb", points: steps.map { (Double($0.step), $0.loss) }),
                .init(name: "eval", color: "#ea580c", points: t.evals.map { (Double($0.step), $0.loss) }, markers: true),
            ]),
            LineChart(title: "Learning rate", series: [.init(name: "lr", color: "#059669", points: steps.map { (Double($0.step), $0.learningRate) })]),
            LineChart(title: "Gradient norm (before clipping)", series: [.init(name: "grad norm", color: "#7c3aed", points: steps.map { (Double($0.step), $0.gradNorm) })]),
        ]
        out += "<div class=\"charts\">" + charts.map { "<figure>\($0.svg())</figure>" }.joined() + "</div></section>"
        return out
    }

    /// Generations side by side: one row per prompt, one column per generate stage.
    static func generationsSection(_ all: [RunReport.Generations]) -> String {
        guard !all.isEmpty else { return "" }
        var prompts: [String] = []
        for g in all { for item in g.items where !prompts.contains(item.prompt) { prompts.append(item.prompt) } }
        var out = "<section><h2>Sample generations</h2><table class=\"answers\"><thead><tr><th>Prompt</th>"
        for g in all {
            out += "<th><code>\(HTML.escape(g.stage))</code>\(g.modelStage.map { " <span class=\"muted\">(model: \(HTML.escape($0)))</span>" } ?? "")</th>"
        }
        out += "</tr></thead><tbody>"
        for prompt in prompts {
            out += "<tr><td class=\"prompt\">\(HTML.escape(prompt))</td>"
            for g in all {
                if let item = g.items.first(where: { $0.prompt == prompt }) {
                    out += "<td><div class=\"answer\">\(HTML.escape(item.completion.trimmingCharacters(in: .whitespacesAndNewlines)))</div>"
                    out += "<div class=\"muted small\">\(item.newTokens) tokens · \(HTML.duration(item.seconds))</div></td>"
                } else {
                    out += "<td class=\"muted\">—</td>"
                }
            }
            out += "</tr>"
        }
        return out + "</tbody></table></section>"
    }

    static func badge(_ outcome: String) -> String {
        let label: String
        switch outcome {
        case "hit": label = "cached"
        case "miss": label = "ran"
        default: label = outcome
        }
        return "<span class=\"badge badge-\(HTML.escape(outcome))\">\(HTML.escape(label))</span>"
    }
}
