// Live progress rendering: a redrawn bar with percentage, rate and ETA on a terminal; plain,
// throttled lines otherwise.
import Foundation
import Pipeline
import RunnerCLI
import Testing

/// A settable clock and a capture of everything written.
private final class Harness: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Date(timeIntervalSince1970: 1_000_000)
    private var output = ""

    func advance(_ seconds: Double) { lock.lock(); time += seconds; lock.unlock() }
    var now: Date { lock.lock(); defer { lock.unlock() }; return time }
    func append(_ s: String) { lock.lock(); output += s; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return output }
}

@Test func terminalBarShowsPercentRateAndETA() {
    let h = Harness()
    let renderer = ProgressRenderer(interactive: true, write: { h.append($0) }, clock: { h.now })
    renderer.handle(.runStarted(runID: "r1", stageCount: 2))
    renderer.handle(.stageStarted(name: "train", kind: "train", index: 1, reasons: ["lora.r: 16 → 32"]))
    renderer.handle(.progress(name: "train", completed: 0, total: 200, unit: "steps"))
    h.advance(20)
    renderer.handle(.progress(name: "train", completed: 50, total: 200, unit: "steps"))
    #expect(h.text.contains("[2/2] train (train): running — lora.r: 16 → 32\n"))
    #expect(h.text.hasSuffix("\r\u{1B}[2Ktrain  [██████░░░░░░░░░░░░░░░░░░]  25%  50/200 steps  2.50 steps/s  ETA 1:00"))
    renderer.handle(.stageFinished(name: "train", seconds: 80, metrics: ["loss": 1.25]))
    #expect(h.text.hasSuffix("\r\u{1B}[2K  train: done in 1:20  loss=1.25\n"))  // the bar is cleared before the line
}

@Test func plainOutputIsThrottledLines() {
    let h = Harness()
    let renderer = ProgressRenderer(interactive: false, write: { h.append($0) }, clock: { h.now })
    renderer.handle(.progress(name: "train", completed: 0, total: 100, unit: "steps"))
    for step in 1 ... 99 {
        h.advance(0.1)
        renderer.handle(.progress(name: "train", completed: step, total: 100, unit: "steps"))
    }
    h.advance(0.1)
    renderer.handle(.progress(name: "train", completed: 100, total: 100, unit: "steps"))
    let lines = h.text.split(separator: "\n")
    #expect(!h.text.contains("\r"))
    #expect(lines.count == 3)  // t≈0.1s (first), t=5.1s (throttle elapsed), and completion
    #expect(lines.last == "  train  100%  100/100 steps")
}
