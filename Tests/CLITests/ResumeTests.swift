// `runner apply` survives being killed or interrupted while training: SIGKILL after the checkpoint
// of step 10 exists, or Ctrl-C (exit 130, a checkpoint of the last completed step), then the same
// command resumes, and metrics.json holds bit-identical losses to an uninterrupted run.
import Foundation
import Pipeline
import RunnerCLI
import RunnerTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// QLoRA with dropout, 120 steps (long enough to be caught mid-training), a checkpoint every 10.
private let resumeRecipe = """
    version: 1
    name: tiny-resume-cli
    seed: 5
    stages:
      base: {kind: load, path: model, dtype: f32}
      quant: {kind: quantize, from: base}
      adapters: {kind: lora, from: quant, r: 4, alpha: 8, dropout: 0.1}
      data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64, eval_split: 0.25}
      tune: {kind: train, model: adapters, data: data, max_steps: 120, batch_size: 4, learning_rate: 0.005,
             scheduler: cosine, warmup_steps: 3, eval_every: 40, save_every: 10}
    """

private func writeResumeProject(_ p: Project) throws {
    p.write("recipe.yaml", resumeRecipe)
    try TinyModelFixture.writeModel(to: p.url("model"))
    p.write("data.jsonl", TinyModelFixture.colorsJSONL(sayRepeats: 3))
}

/// Every step's loss, learning rate and gradient norm, and every eval loss, as exact bit patterns.
private func metricBits(_ p: Project) throws -> [UInt64] {
    let key = try #require(try p.latestRun().stage(named: "tune")?.key)
    let url = p.store.entry(key).appendingPathComponent("data/metrics.json")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let steps = try #require(json["steps"] as? [[String: Any]])
    let evals = try #require(json["eval"] as? [[String: Any]])
    #expect(steps.count == 120 && evals.count == 3)
    func bits(_ record: [String: Any], _ field: String) -> UInt64 { ((record[field] as? NSNumber)?.doubleValue ?? .nan).bitPattern }
    return steps.flatMap { [bits($0, "loss"), bits($0, "learning_rate"), bits($0, "grad_norm")] } + evals.map { bits($0, "loss") }
}

/// The checkpoint directories (`step-…`) of the one stage that has any.
private func checkpointNames(_ p: Project) -> [String] {
    let root = p.store.checkpoints
    let keys = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return keys.flatMap { key in
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(key).path)) ?? []).filter { $0.hasPrefix("step-") }
    }.sorted()
}

/// Starts `runner apply` in the resume project `p`, waits (up to 90 s) for the checkpoint of step
/// 10, sends `signal`, and collects what the run printed; `reached` says whether the checkpoint
/// appeared before the signal.
private func applySignalledAfterStep10(_ p: Project, _ signal: Int32, exitTimeout: Double = 30) throws
    -> (reached: Bool, result: CLIResult, process: Process) {
    try writeResumeProject(p)
    let (process, out, err) = p.process(["apply", "recipe.yaml"], binary: "runner")
    try process.run()
    let reached = p.waitUntil(timeout: 90) { checkpointNames(p).contains("step-000010") }
    kill(process.processIdentifier, signal)
    return (reached, p.finish(process, out, err, timeout: exitTimeout), process)
}

/// The straight run's metrics (one per test process: every test compares against it).
private let straightBits: Result<[UInt64], any Error> = Result {
    let p = Project("straight"); defer { p.cleanup() }
    try writeResumeProject(p)
    let result = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
    guard result.status == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: result.stderr]) }
    return try metricBits(p)
}

@Suite(.serialized) struct ResumeTests {
    @Test func killedRunResumesFromItsLastCheckpoint() throws {
        let expected = try straightBits.get()
        let p = Project(); defer { p.cleanup() }
        let (reached, killed, process) = try applySignalledAfterStep10(p, SIGKILL)
        try #require(reached, "no checkpoint of step 10 appeared: \(killed.stdout)\n\(killed.stderr)")
        #expect(killed.status == SIGKILL && process.terminationReason == .uncaughtSignal, "the run must be killed mid-training")
        let left = checkpointNames(p)
        let newest = try #require(left.last)
        #expect(left.count <= 2)

        let again = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        let step = Int(newest.dropFirst(5))!
        #expect(again.stdout.contains("tune: resuming from step \(step) (checkpoint "), "\(again.stdout)")
        #expect(try metricBits(p) == expected)
        #expect(checkpointNames(p).isEmpty, "published: the checkpoints are gone")
    }

    @Test func ctrlCWritesACheckpointAndTheSameCommandResumes() throws {
        let expected = try straightBits.get()
        let p = Project(); defer { p.cleanup() }
        let (reached, interrupted, _) = try applySignalledAfterStep10(p, SIGINT, exitTimeout: 60)
        try #require(reached, "no checkpoint of step 10 appeared: \(interrupted.stdout)\n\(interrupted.stderr)")
        #expect(interrupted.status == 130, "\(interrupted.stdout)\n\(interrupted.stderr)")
        let line = try #require(interrupted.stdout.split(separator: "\n").first { $0.contains("tune: interrupted after step ") },
                                "\(interrupted.stdout)")
        #expect(line.hasSuffix("Run the same command again to resume from it."))
        let step = try #require(Int(line.split(separator: "interrupted after step ")[1].prefix { $0.isNumber }))
        #expect(step >= 10 && step < 120)
        #expect(checkpointNames(p).last == String(format: "step-%06d", step), "the checkpoint of the last completed step: \(checkpointNames(p))")
        #expect(try p.latestRun().status == .interrupted)

        let again = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 120)
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(again.stdout.contains("tune: resuming from step \(step) (checkpoint "), "\(again.stdout)")
        #expect(try metricBits(p) == expected)
    }

    @Test func cacheGCRemovesCheckpointsNoRecentRunReferences() throws {
        let p = Project(); defer { p.cleanup() }
        let (reached, _, _) = try applySignalledAfterStep10(p, SIGKILL)
        try #require(reached)

        let kept = try p.run(["cache", "gc"], binary: "runner")
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(!checkpointNames(p).isEmpty, "the killed run is recent: its checkpoints stay")
        let removed = try p.run(["cache", "gc", "--keep-runs", "0"], binary: "runner")
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("removed resume checkpoints of 1 stage no recent run references"), "\(removed.stdout)")
        #expect(checkpointNames(p).isEmpty)
    }
}

/// The progress line of a resumed stage: rate and ETA count only this run's steps; the stage's
/// live detail (loss, tokens/s) follows.
@Test func progressLineOfAResumedTrainingShowsLossRateAndETA() {
    final class Capture: @unchecked Sendable {
        let lock = NSLock()
        var text = ""
        var now = Date(timeIntervalSince1970: 1_000_000)
    }
    let c = Capture()
    let renderer = ProgressRenderer(interactive: true, write: { s in c.lock.lock(); c.text += s; c.lock.unlock() },
                                    clock: { c.lock.lock(); defer { c.lock.unlock() }; return c.now })
    renderer.handle(.progress(name: "tune", completed: 30, total: 60, unit: "steps"))  // resumed from step 30
    c.lock.lock(); c.now += 10; c.lock.unlock()
    renderer.handle(.progressDetail(name: "tune", detail: "loss 1.2345  800 tok/s"))
    renderer.handle(.progress(name: "tune", completed: 40, total: 60, unit: "steps"))
    #expect(c.text.hasSuffix("]  67%  40/60 steps  1.00 steps/s  ETA 20.0s  loss 1.2345  800 tok/s"), "\(c.text)")
}
