// RunReports: a run record plus the cache entries of its train, generate and eval stages become
// report.html and a TensorBoard event file holding every training scalar.
import Foundation
import Pipeline
import Reports
import Stages
import Testing

private func publish(_ store: ArtifactStore, key: String, stage: String, kind: String, file: String, json: String) throws {
    let build = try store.makeBuildDirectory(for: key)
    try json.write(to: build.appendingPathComponent("data").appendingPathComponent(file), atomically: true, encoding: .utf8)
    let manifest = ArtifactManifest(key: key, stageName: stage, kind: kind, implementationVersion: 1, params: "{}", inputKeys: [:], inputFiles: [:],
                                    files: try store.describeFiles(in: build), primaryFile: nil, toolVersion: "test",
                                    createdAt: "2026-11-22T11:00:30.000Z", seconds: 30, metrics: [:])
    _ = try store.publish(build, manifest: manifest)
}

private func stageJSON(_ name: String, _ kind: String, key: String, outcome: String, inputs: String = "{}") -> String {
    """
    {"name": "\(name)", "kind": "\(kind)", "key": "\(key)", "params": {}, "inputs": \(inputs), "files": {}, "outcome": "\(outcome)",
     "seconds": 30, "metrics": {"m": 1.5}, "peakRSSBytes": 734003200}
    """
}

@Test func runReportGathersTrainGenerateAndEvalOutputsIntoHTMLAndTensorBoard() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("runner-run-reports-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let store = ArtifactStore(root: root.appendingPathComponent("cache"))
    try store.prepare()

    let steps = (1 ... 5).map { #"{"step": \#($0), "loss": \#(3.0 - 0.2 * Double($0)), "learning_rate": \#(1e-4 * Double($0)), "grad_norm": 0.9, "target_tokens": 40}"# }
    try publish(store, key: "k-train", stage: "tune", kind: "train", file: "metrics.json",
                json: #"{"steps": [\#(steps.joined(separator: ","))], "eval": [{"step": 5, "loss": 2.25}], "seconds": 12.5, "tokens": 250}"#)
    try publish(store, key: "k-gen", stage: "before", kind: "generate", file: "generations.json",
                json: #"[{"prompt": "Hi?", "completion": "Hello <friend>", "prompt_tokens": 3, "new_tokens": 4, "stop_reason": "eos", "seconds": 0.25}]"#)
    let results = EvalScorer.results(questionsFile: "q.jsonl", settings: EvalSettings(maxNewTokens: 8, chat: true, system: nil), metrics: [.factRecall],
                                     questions: [EvalQuestion(prompt: "Return window?", facts: ["30 days"])],
                                     model: ("tune", [GeneratedAnswer(text: "Within 30 days.", newTokens: 5, stopReason: "eos", seconds: 0.5)]), baseline: nil)
    try publish(store, key: "k-eval", stage: "check", kind: "eval", file: "eval.json",
                json: String(decoding: try JSONEncoder().encode(results), as: UTF8.self))

    let recordJSON = """
    {"id": "20261122T110000Z-demo", "recipeName": "demo", "recipeFile": "/r/demo.yaml", "recipeVersion": 1, "seed": 1, "resolved": {},
     "toolVersion": "test", "cacheDirectory": "\(store.root.path)", "startedAt": "2026-11-22T11:00:00.000Z", "seconds": 61,
     "status": "succeeded", "peakRSSBytes": 1073741824, "stages": [
       \(stageJSON("tune", "train", key: "k-train", outcome: "miss")),
       \(stageJSON("before", "generate", key: "k-gen", outcome: "hit", inputs: #"{"model": {"stage": "base", "key": "k-base"}}"#)),
       \(stageJSON("check", "eval", key: "k-eval", outcome: "miss")),
       \(stageJSON("later", "save", key: "k-none", outcome: "skipped"))]}
    """
    let record = try JSONDecoder().decode(RunRecord.self, from: Data(recordJSON.utf8))
    #expect(record.peakRSSBytes == 1 << 30 && record.stages[0].peakRSSBytes == 734_003_200)
    let runDirectory = root.appendingPathComponent("run")
    try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)

    let files = try RunReports.write(for: record, store: store, runDirectory: runDirectory, now: Date(timeIntervalSince1970: 1_763_809_000))
    let html = try String(contentsOf: files.html, encoding: .utf8)
    #expect(files.html.lastPathComponent == "report.html")
    #expect(html.contains("Training · <code>tune</code>") && html.contains("Evaluation · <code>check</code>"))
    #expect(html.contains("Hello &lt;friend&gt;") && html.contains("(model: base)") && html.contains("✓ 30 days"))
    #expect(html.contains("built in 30.0 s") && html.contains("700 MiB") && html.contains("1.00 GiB"))
    #expect(html.contains("badge-skipped"))

    let eventFile = try #require(files.eventFiles.first)
    #expect(eventFile.deletingLastPathComponent().lastPathComponent == "tune")
    #expect(eventFile.lastPathComponent.hasPrefix("events.out.tfevents.1763809000."))
    let records = try TFRecord.records(in: [UInt8](try Data(contentsOf: eventFile)))
    #expect(records.count == 1 + 5 * 3 + 1 + 1)  // version, loss/lr/grad_norm per step, eval_loss, tokens_per_second
    // The last step's loss event, as the encoder writes it, with its wall time placed at the stage's end.
    let end = try #require(ISO8601DateFormatter().date(from: "2026-11-22T11:00:30Z")).timeIntervalSince1970
    #expect(records.contains(EventProto.scalars([("loss", Float(3.0 - 0.2 * 5))], step: 5, wallTime: end)))
}
