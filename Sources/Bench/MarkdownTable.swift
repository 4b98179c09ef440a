// results.md: the suite's table — per cell and side the median tokens/s with its range (and IQR
// from 4 repeats), speed against the cell's reference side, peak memory and final loss — under a
// header saying what ran where, at what load, by which command.
import Foundation

enum MarkdownTable {
    static func render(_ results: BenchResults) -> String {
        let s = results.settings, m = results.machine
        let loads = results.measurements.compactMap(\.loadAverage)
        var out = "# Benchmark suite `\(results.suite)`\n\n"
        out += "- Command: `\(results.command)`\n"
        out += "- Machine: \(m.cpuModel), \(m.cores) cores, \(number(m.memoryGiB)) GiB; 1-minute load average "
        out += loads.isEmpty ? "unknown\n" : "\(number(loads.min()!))–\(number(loads.max()!)) during the run\n"
        out += "- Model `\(s.model)`; data: \(s.data); \(s.warmupSteps) warm-up + \(count(s.steps, "timed AdamW step")) (lr \(s.learningRate), "
        out += "max grad norm \(number(s.maxGradNorm))), \(count(s.repeats, "repeat")), each in its own process; LoRA alpha = \(number(s.alphaPerRank))·r on every linear layer\n"
        out += "- Started \(results.started), finished \(results.finished)\n\n"
        out += "tokens/s: median over repeats of each run's median step; range min–max"
        out += results.summary.contains { $0.tokensPerSecond?.q1 != nil } ? ", IQR q1–q3" : ""
        out += ". Peak RSS: the whole process (wait4). Final loss: the last step's, before its update. "
        out += "ckpt: `layer` re-runs each layer's forward in backward (PEFT's gradient checkpointing), `selective` recomputes "
        out += "only the norms and SwiGLU (runner), `off` keeps every activation.\n\n"
        let showIQR = results.summary.contains { $0.tokensPerSecond?.q1 != nil }
        out += "| method | r | batch × seq | ckpt | precision | side | tokens/s | range |" + (showIQR ? " IQR |" : "")
        out += " × ref | peak RSS MiB | final loss | load 1m | runs |\n"
        out += "|---|---:|---:|---|---|---|---:|---:|" + (showIQR ? "---:|" : "") + "---:|---:|---:|---:|---:|\n"
        for row in results.summary {
            let c = row.cell, t = row.tokensPerSecond
            var cells = [c.method.rawValue, c.method == .full ? "–" : "\(c.rank)", "\(c.batchSize) × \(c.sequenceLength)",
                         checkpointing(row), c.precision.rawValue, row.sideLabel,
                         t.map { speed($0.median) } ?? "failed", t.map { "\(speed($0.min))–\(speed($0.max))" } ?? "–"]
            if showIQR { cells.append(t.flatMap { s in s.q1.map { "\(speed($0))–\(speed(s.q3!))" } } ?? "–") }
            cells += [row.speedVsReference.map { String(format: "%.2f", $0) } ?? "–",
                      row.peakRSSMiB.map { String(format: "%.0f", $0.median) } ?? "–",
                      row.finalLoss.map { String(format: "%.4f", $0.median) } ?? "–",
                      row.loadAverage.map { "\(number($0.min))–\(number($0.max))" } ?? "–",
                      row.failures > 0 ? "\(row.runs) (+\(row.failures) failed)" : "\(row.runs)"]
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        let failures = results.measurements.filter { !$0.ok }
        if !failures.isEmpty {
            out += "\nFailed runs:\n\n"
            for f in failures { out += "- \(f.cell.label) \(f.side) repeat \(f.repeatIndex): \(f.error ?? "failed")\n" }
        }
        return out
    }

    /// The ckpt column: `layer` (whole layers, PEFT's gradient checkpointing), `selective` or `off`.
    static func checkpointing(_ row: SummaryRow) -> String {
        row.checkpointing ?? (row.cell.gradientCheckpointing ? "layer" : "off")
    }

    /// "1 repeat", "3 repeats".
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func speed(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.1f", value) }
    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
