// Small helpers for writing HTML by hand: escaping and number formatting shared by the report and
// its charts.
import Foundation

enum HTML {
    /// Escapes text for element content and double-quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A number for people: up to 4 significant digits, exponent form when very small or large.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude < 1e-3 || magnitude >= 1e6 {
            return String(format: "%.2e", value).replacingOccurrences(of: ".00e", with: "e")
                .replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e")
                .replacingOccurrences(of: "e+", with: "e")
        }
        var text = String(format: "%.4g", value)
        if text.contains("e") { text = String(format: "%.0f", value) }
        return text
    }

    /// `2026-11-22T12:19:12.693Z` → `2026-11-22 12:19:12 UTC`; other text unchanged.
    static func timestamp(_ iso: String) -> String {
        guard iso.count >= 20, iso.hasSuffix("Z"), Array(iso)[10] == "T" else { return iso }
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(8) + " UTC"
    }

    /// 0.4231 → "42.3%".
    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// Seconds → "0.42 s", "12.3 s", "4 min 05 s", "1 h 02 min".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        if seconds < 10 { return String(format: "%.2f s", seconds) }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60)
    }

    /// Bytes → "812 MiB", "1.6 GiB".
    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        if count >= 1 << 30 { return String(format: "%.2f GiB", value / Double(1 << 30)) }
        if count >= 1 << 20 { return String(format: "%.0f MiB", value / Double(1 << 20)) }
        if count >= 1 << 10 { return String(format: "%.0f KiB", value / Double(1 << 10)) }
        return "\(count) B"
    }
}
