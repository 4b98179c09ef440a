// Writing to the terminal: stdout for results, stderr for problems; JSON output helpers.
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes without a newline (progress bars).
    static func raw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func json<T: Encodable>(_ value: T) throws {
        FileHandle.standardOutput.write(try PipelineJSON.encode(value))
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

/// Human-readable numbers.
enum Format {
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `10GB`, `1.5G`, `500MB`, `2GiB`, `1024` (bytes). Nil when unreadable.
    static func parseSize(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let suffixes: [(String, Double)] = [
            ("TIB", 1_099_511_627_776), ("GIB", 1_073_741_824), ("MIB", 1_048_576), ("KIB", 1024),
            ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3),
            ("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3), ("B", 1),
        ]
        for (suffix, scale) in suffixes where t.hasSuffix(suffix) {
            guard let number = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number >= 0 else { return nil }
            return Int64(number * scale)
        }
        guard let number = Int64(t), number >= 0 else { return nil }
        return number
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        return s < 3600 ? String(format: "%d:%02d", s / 60, s % 60) : String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }

    /// Pads to `width` characters (no truncation).
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
