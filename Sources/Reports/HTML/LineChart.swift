// A line chart as inline SVG (no scripts, no external files): axes with "nice" ticks, one polyline
// per series, markers for short or sparse series, and a legend.
import Foundation

struct LineChart {
    struct Series {
        var name: String
        /// A CSS color.
        var color: String
        /// (x, y); non-finite points are left out.
        var points: [(x: Double, y: Double)]
        /// Draw a dot at every point (for sparse series such as eval loss).
        var markers = false
    }

    var title: String
    var series: [Series]
    var xLabel = "step"
    var width = 480.0
    var height = 240.0

    private let margin = (left: 58.0, right: 16.0, top: 34.0, bottom: 40.0)

    func svg() -> String {
        let finite = series.map { s in (s, s.points.filter { $0.x.isFinite && $0.y.isFinite }) }
        let all = finite.flatMap(\.1)
        var out = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        out += "<text class=\"chart-title\" x=\"\(margin.left)\" y=\"20\">\(HTML.escape(title))</text>"
        guard !all.isEmpty else {
            return out + "<text class=\"chart-empty\" x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">no data</text></svg>"
        }
        let xs = Self.axis(min: all.map(\.x).min()!, max: all.map(\.x).max()!, integer: true)
        let ys = Self.axis(min: all.map(\.y).min()!, max: all.map(\.y).max()!, integer: false)
        let plot = (x0: margin.left, x1: width - margin.right, y0: height - margin.bottom, y1: margin.top)
        func px(_ x: Double) -> Double { plot.x0 + (x - xs.low) / (xs.high - xs.low) * (plot.x1 - plot.x0) }
        func py(_ y: Double) -> Double { plot.y0 - (y - ys.low) / (ys.high - ys.low) * (plot.y0 - plot.y1) }

        for tick in ys.ticks {
            let y = Self.fmt(py(tick))
            out += "<line class=\"grid\" x1=\"\(Self.fmt(plot.x0))\" x2=\"\(Self.fmt(plot.x1))\" y1=\"\(y)\" y2=\"\(y)\"/>"
            out += "<text class=\"tick\" x=\"\(Self.fmt(plot.x0 - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(HTML.number(tick))</text>"
        }
        for tick in xs.ticks {
            let x = Self.fmt(px(tick))
            out += "<line class=\"tick-mark\" x1=\"\(x)\" x2=\"\(x)\" y1=\"\(Self.fmt(plot.y0))\" y2=\"\(Self.fmt(plot.y0 + 4))\"/>"
            out += "<text class=\"tick\" x=\"\(x)\" y=\"\(Self.fmt(plot.y0 + 16))\" text-anchor=\"middle\">\(HTML.number(tick))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(Self.fmt(plot.x0))\" x2=\"\(Self.fmt(plot.x1))\" y1=\"\(Self.fmt(plot.y0))\" y2=\"\(Self.fmt(plot.y0))\"/>"
        out += "<text class=\"axis-label\" x=\"\(Self.fmt((plot.x0 + plot.x1) / 2))\" y=\"\(Self.fmt(height - 6))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"

        for (s, points) in finite where !points.isEmpty {
            let coordinates = points.map { "\(Self.fmt(px($0.x))),\(Self.fmt(py($0.y)))" }.joined(separator: " ")
            if points.count > 1 {
                out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(coordinates)\"/>"
            }
            if s.markers || points.count <= 1 {
                for p in points {
                    out += "<circle cx=\"\(Self.fmt(px(p.x)))\" cy=\"\(Self.fmt(py(p.y)))\" r=\"3.5\" fill=\"\(s.color)\"><title>\(HTML.escape(s.name)) @ \(HTML.number(p.x)): \(HTML.number(p.y))</title></circle>"
                }
            }
        }
        if finite.count > 1 {
            var x = plot.x1
            for (s, _) in finite.reversed() {
                let label = HTML.escape(s.name)
                x -= Double(s.name.count) * 6.5 + 22
                out += "<rect x=\"\(Self.fmt(x))\" y=\"12\" width=\"10\" height=\"10\" rx=\"2\" fill=\"\(s.color)\"/>"
                out += "<text class=\"legend\" x=\"\(Self.fmt(x + 14))\" y=\"21\">\(label)</text>"
            }
        }
        return out + "</svg>"
    }

    /// An axis range widened to round numbers, with about five ticks.
    static func axis(min low: Double, max high: Double, integer: Bool) -> (low: Double, high: Double, ticks: [Double]) {
        var low = low, high = high
        if low == high {
            let pad = integer ? 1 : (low == 0 ? 1 : abs(low) * 0.1)
            low -= pad
            high += pad
        }
        var step = niceStep((high - low) / 5)
        if integer { step = max(step.rounded(), 1) }
        let first = (low / step).rounded(.down) * step
        let last = (high / step).rounded(.up) * step
        var ticks: [Double] = []
        var k = 0.0
        while first + k * step <= last + step * 1e-9, ticks.count < 50 {
            ticks.append(first + k * step)
            k += 1
        }
        return (first, last, ticks)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        for factor in [1.0, 2, 5, 10] where factor * power >= raw * (1 - 1e-12) { return factor * power }
        return 10 * power
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
