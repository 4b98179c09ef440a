// Robustness of `apply` as a process: SIGKILL mid-stage never leaves a usable partial entry and
// the re-run completes; Ctrl-C exits 130 publishing nothing; two concurrent applies both succeed
// and each stage runs once.
import Foundation
import Pipeline
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether stage `b` (the slow one) has written at least `lines` lines into its build directory.
private func slowStageWrote(_ p: Project, lines: Int) -> Bool {
    let tmp = p.store.temporary
    for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [] {
        let text = (try? String(contentsOf: tmp.appendingPathComponent(name).appendingPathComponent("data/out.txt"), encoding: .utf8)) ?? ""
        if text.split(separator: "\n").count >= lines { return true }
    }
    return false
}

@Test func sigkillMidStageThenRerunCompletesWithoutUsingThePartialEntry() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("spine.yaml", spineYAML(steps: 30, stepMs: 40))
    let (process, out, err) = p.process(["apply", "spine.yaml"])
    try process.run()
    #expect(p.waitUntil { slowStageWrote(p, lines: 3) })
    kill(process.processIdentifier, SIGKILL)
    let killed = p.finish(process, out, err)
    #expect(killed.status == SIGKILL)  // Foundation reports the signal number for signalled processes

    // Nothing for `b` looks complete: the only published entry is `a`'s.
    #expect(p.store.list().map(\.stageName) == ["a"])
    #expect(p.read("out/b.txt") == nil)
    let plan = try p.run(["plan", "spine.yaml"])
    #expect(plan.stdout.contains("RUN    b"))

    let rerun = try p.run(["apply", "spine.yaml"])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    #expect(p.read("out/b.txt") == expectedSlowOutput(steps: 30))
    let record = try p.latestRun()
    #expect(record.stages.map(\.outcome) == [.hit, .miss])
    #expect(p.trace == ["a", "b", "b"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: p.store.temporary.path).isEmpty)  // stale build dir swept
    #expect(try p.run(["cache", "verify"]).status == 0)
}

@Test func sigintInterruptsWithExit130AndPublishesNothing() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("spine.yaml", spineYAML(steps: 50, stepMs: 40))
    let (process, out, err) = p.process(["apply", "spine.yaml"])
    try process.run()
    #expect(p.waitUntil { slowStageWrote(p, lines: 2) })
    kill(process.processIdentifier, SIGINT)
    let result = p.finish(process, out, err)
    #expect(result.status == 130)
    #expect(result.stderr.contains("interrupted"))
    #expect(p.store.list().map(\.stageName) == ["a"])
    let record = try p.latestRun()
    #expect(record.status == .interrupted)
    #expect(record.stages.map(\.outcome) == [.miss, .interrupted])
}

@Test func twoConcurrentAppliesBothSucceedAndEachStageRunsOnce() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("spine.yaml", spineYAML(steps: 25, stepMs: 40))
    let first = p.process(["apply", "spine.yaml"]), second = p.process(["apply", "spine.yaml"])
    try first.0.run()
    try second.0.run()
    let results = [p.finish(first.0, first.1, first.2), p.finish(second.0, second.1, second.2)]
    for result in results { #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)") }
    #expect(p.trace.sorted() == ["a", "b"])
    #expect(p.read("out/b.txt") == expectedSlowOutput(steps: 25))
    // They overlapped: one waited on the other's build lock, then reused its entry.
    #expect(results.contains { $0.stdout.contains("b: cached (built by a concurrent run)") })
    let runs = RunStore(directory: p.store.runs).all()
    #expect(runs.count == 2)
    let outcomes = runs.flatMap { $0.stages.map(\.outcome) }
    #expect(outcomes.filter { $0 == .miss }.count == 2 && outcomes.filter { $0 == .hit }.count == 2)
}
