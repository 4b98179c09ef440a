// `runner apply` leaves report.html in the run directory and prints its path after the outcome line,
// and the run record carries the process's peak RSS, per stage and for the run.
import Foundation
import Pipeline
import Testing

@Test func applyWritesTheRunReportAndRecordsPeakMemory() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("spine.yaml", spineYAML(steps: 2, stepMs: 1))
    let result = try p.run(["apply", "spine.yaml", "--plain"])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    let applied = try #require(lines.firstIndex { $0.hasPrefix("applied `spine`") })
    let reportLine = try #require(lines.firstIndex { $0.hasPrefix("report: ") })
    #expect(reportLine > applied)
    let path = String(lines[reportLine].dropFirst("report: ".count))
    let record = try #require(RunStore(directory: p.store.runs).latest(recipeName: "spine"))
    #expect(path == p.store.runs.appendingPathComponent(record.id).appendingPathComponent("report.html").path)
    let html = try String(contentsOfFile: path, encoding: .utf8)
    #expect(html.contains("<h1>spine</h1>") && html.contains("<b>a</b>") && html.contains("<b>b</b>") && !html.contains("<script"))
    #expect(!lines.contains { $0.hasPrefix("tensorboard:") })  // no train stage, no event files

    let peak = try #require(record.peakRSSBytes)
    #expect(peak > 1 << 20)
    #expect(record.stages.allSatisfy { ($0.peakRSSBytes ?? 0) > 0 && $0.peakRSSBytes! <= peak })
}
