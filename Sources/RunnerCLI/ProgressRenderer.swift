// Live progress for `apply`: on a terminal, one redrawn bar per running stage with rate, ETA and the
// stage's live detail (train: loss, tokens/s); otherwise plain lines (progress every few seconds).
import Foundation
import Pipeline

/// Public so tests can drive it with a fake clock and captured output.
public final class ProgressRenderer: ExecutionObserver, @unchecked Sendable {
    private let interactive: Bool
    /// Where text goes (stdout; tests capture it). Lines end in "\n"; bar redraws start with "\r".
    private let write: @Sendable (String) -> Void
    private let clock: @Sendable () -> Date
    private let lock = NSLock()
    private var stageCount = 0
    /// Per stage: when its progress (re)started and the count it started from (a resumed stage starts above 0).
    private var progressStart: [String: (time: Date, completed: Int)] = [:]
    /// Per stage: the latest `progressDetail` (e.g. `loss 2.3141  812 tok/s`).
    private var details: [String: String] = [:]
    private var lastDraw = Date.distantPast
    private var barVisible = false
    /// Plain mode: seconds between progress lines.
    private let plainInterval: TimeInterval = 5

    public init(interactive: Bool, write: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
         clock: @escaping @Sendable () -> Date = { Date() }) {
        self.interactive = interactive
        self.write = write
        self.clock = clock
    }

    public func handle(_ event: ExecutionEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .runStarted(let id, let count):
            stageCount = count
            line("run \(id)")
        case .stageCached(let name, let index, let elsewhere):
            line("[\(index + 1)/\(stageCount)] \(name): cached\(elsewhere ? " (built by a concurrent run)" : "")")
        case .stageSkipped(let name, let index, let reason):
            line("[\(index + 1)/\(stageCount)] \(name): skipped — \(reason)")
        case .waitingForLock(let name):
            line("\(name): waiting for another runner that is building it…")
        case .stageStarted(let name, let kind, let index, let reasons):
            line("[\(index + 1)/\(stageCount)] \(name) (\(kind)): running — \(reasons.joined(separator: "; "))")
        case .progress(let name, let completed, let total, let unit):
            progress(name: name, completed: completed, total: total, unit: unit)
        case .progressDetail(let name, let detail):
            details[name] = detail
        case .log(let name, let message):
            line("  \(name): \(message)")
        case .stageFinished(let name, let seconds, let metrics):
            let m = metrics.keys.sorted().map { "\($0)=\(String(format: "%.4g", metrics[$0]!))" }.joined(separator: " ")
            line("  \(name): done in \(Format.duration(seconds))\(m.isEmpty ? "" : "  " + m)")
        case .stageFailed(let name, let message):
            line("  \(name): failed: \(message)")
        case .materialized(let name, let path):
            line("  \(name): → \(path)")
        case .runFinished:
            clearBar()
        }
    }

    private func line(_ text: String) {
        clearBar()
        write(text + "\n")
    }

    private func clearBar() {
        if barVisible {
            write("\r\u{1B}[2K")
            barVisible = false
        }
    }

    private func progress(name: String, completed: Int, total: Int?, unit: String) {
        let now = clock()
        if completed == 0 || completed < (progressStart[name]?.completed ?? .max) { progressStart[name] = (now, completed) }
        let started = progressStart[name]!
        let finished = total.map { completed >= $0 } ?? false
        if !interactive && completed == started.completed { return }  // plain mode: "0%" lines say nothing
        let interval = interactive ? 0.1 : plainInterval
        guard finished || now.timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started.time)
        let rate = elapsed > 0 ? Double(completed - started.completed) / elapsed : 0
        var text = "\(name)  "
        if let total, total > 0 {
            let fraction = min(1, Double(completed) / Double(total))
            if interactive {
                let width = 24
                let filled = Int(fraction * Double(width))
                text += "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "] "
            }
            text += String(format: "%3.0f%%  %d/%d %@", fraction * 100, completed, total, unit)
            if rate > 0 && !finished { text += String(format: "  %.2f %@/s  ETA %@", rate, unit, Format.duration(Double(total - completed) / rate)) }
        } else {
            text += "\(completed) \(unit)" + (rate > 0 ? String(format: "  %.2f %@/s", rate, unit) : "")
        }
        if let detail = details[name] { text += "  " + detail }
        if interactive {
            write("\r\u{1B}[2K" + text)
            barVisible = true
        } else {
            write("  " + text + "\n")
        }
    }
}
