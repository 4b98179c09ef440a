// tokens_per_s.svg: horizontal bars of median tokens/s, one group per cell and one color per side,
// with min–max whiskers and the value written at each bar. Self-contained SVG (no scripts, no CSS
// files, no fonts beyond the viewer's sans-serif), so it renders anywhere, including on GitHub.
import Foundation

enum SpeedChart {
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"]

    static func svg(_ results: BenchResults) -> String {
        let sides = results.summary.map(\.side).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let color = Dictionary(uniqueKeysWithValues: sides.enumerated().map { ($1, palette[$0 % palette.count]) })
        let label = Dictionary(results.summary.map { ($0.side, $0.sideLabel) }, uniquingKeysWith: { a, _ in a })
        let groups = results.summary.map(\.cell).reduce(into: [BenchCell]()) { if !$0.contains($1) { $0.append($1) } }

        let width = 820.0, left = 230.0, right = 70.0, top = 82.0, bar = 16.0, gap = 4.0, groupGap = 14.0
        let rowsHeight = groups.reduce(0.0) { total, cell in
            total + Double(results.summary.filter { $0.cell == cell }.count) * (bar + gap) + groupGap
        }
        let height = top + rowsHeight + 40
        let highest = results.summary.compactMap { $0.tokensPerSecond?.max }.max() ?? 1
        let (axisMax, tick) = niceAxis(highest)
        func x(_ value: Double) -> Double { left + value / axisMax * (width - left - right) }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
        out += "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
        out += "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">\(escape("Training tokens/s — \(results.suite)"))</text>"
        out += "<text x=\"12\" y=\"40\" fill=\"#555\">\(escape(subtitle(results)))</text>"
        // Legend: its own row under the subtitle, left to right (≈ 7.2 px per character at 12 px).
        var legendX = 12.0
        for side in sides {
            let text = label[side] ?? side
            out += "<rect x=\"\(f(legendX))\" y=\"50\" width=\"12\" height=\"12\" fill=\"\(color[side]!)\"/>"
            out += "<text x=\"\(f(legendX + 16))\" y=\"60\">\(escape(text))</text>"
            legendX += Double(text.count) * 7.2 + 34
        }
        // Grid and axis.
        let plotBottom = top + rowsHeight
        var value = 0.0
        while value <= axisMax + tick / 2 {
            out += "<line x1=\"\(f(x(value)))\" x2=\"\(f(x(value)))\" y1=\"\(f(top - 6))\" y2=\"\(f(plotBottom))\" stroke=\"#e3e3e3\"/>"
            out += "<text x=\"\(f(x(value)))\" y=\"\(f(plotBottom + 16))\" text-anchor=\"middle\" fill=\"#555\">\(tick >= 1 ? String(format: "%.0f", value) : MarkdownTable.speed(value))</text>"
            value += tick
        }
        out += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(plotBottom + 34))\" text-anchor=\"middle\">tokens/s (median; whiskers: min–max over repeats)</text>"
        // Bars.
        var y = top
        for cell in groups {
            let rows = results.summary.filter { $0.cell == cell }
            let groupHeight = Double(rows.count) * (bar + gap)
            out += "<text x=\"\(f(left - 10))\" y=\"\(f(y + groupHeight / 2))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(cellTitle(cell)))</text>"
            for row in rows {
                if let t = row.tokensPerSecond {
                    out += "<rect x=\"\(f(left))\" y=\"\(f(y))\" width=\"\(f(x(t.median) - left))\" height=\"\(f(bar))\" fill=\"\(color[row.side]!)\">"
                    out += "<title>\(escape("\(row.sideLabel): \(MarkdownTable.speed(t.median)) tokens/s (\(MarkdownTable.speed(t.min))–\(MarkdownTable.speed(t.max)))"))</title></rect>"
                    let mid = y + bar / 2
                    out += "<path d=\"M\(f(x(t.min))) \(f(mid))H\(f(x(t.max)))M\(f(x(t.min))) \(f(mid - 4))v8M\(f(x(t.max))) \(f(mid - 4))v8\" stroke=\"#222\" fill=\"none\"/>"
                    out += "<text x=\"\(f(max(x(t.max), x(t.median)) + 6))\" y=\"\(f(mid))\" dominant-baseline=\"middle\">\(MarkdownTable.speed(t.median))</text>"
                } else {
                    out += "<text x=\"\(f(left + 4))\" y=\"\(f(y + bar / 2))\" dominant-baseline=\"middle\" fill=\"#b00\">\(escape("\(row.sideLabel): failed"))</text>"
                }
                y += bar + gap
            }
            y += groupGap
        }
        out += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top - 6))\" y2=\"\(f(plotBottom))\" stroke=\"#333\"/>"
        return out + "</svg>\n"
    }

    static func cellTitle(_ c: BenchCell) -> String {
        let method = c.method == .full ? "full" : "\(c.method.rawValue) r=\(c.rank)"
        return "\(method), \(c.batchSize)×\(c.sequenceLength)\(c.gradientCheckpointing ? ", ckpt" : ""), \(c.precision.rawValue)"
    }

    static func subtitle(_ r: BenchResults) -> String {
        let loads = r.measurements.compactMap(\.loadAverage)
        let load = loads.isEmpty ? "" : String(format: ", load %.1f–%.1f", loads.min()!, loads.max()!)
        return "\(r.machine.cpuModel), \(r.machine.cores) cores\(load); \(MarkdownTable.count(r.settings.steps, "timed step")) × \(MarkdownTable.count(r.settings.repeats, "repeat"))"
    }

    /// An axis maximum ≥ `value` on a 1/2/5 × 10ⁿ tick grid of about 5 ticks.
    static func niceAxis(_ value: Double) -> (max: Double, tick: Double) {
        let raw = max(value, 1e-9) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let tick = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw }!
        return ((value / tick).rounded(.up) * tick, tick)
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
