// The `eval` stage on the real SmolLM2 model: its greedy answer to a chat question is transformers'
// (Tests/ModelsTests/Fixtures/smollm2/reference.json), eval.json holds the scores of exactly those
// answers, a baseline is evaluated the same way, and a bad questions file is reported by line.
import Basics
import Foundation
import Models
import Pipeline
import Recipe
import Reports
import Stages
import Testing

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let smolLM2 = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")

private final class Log: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var lines: [String] = []
    func handle(_ event: ExecutionEvent) {
        guard case .log(_, let message) = event else { return }
        lock.lock()
        lines.append(message)
        lock.unlock()
    }
}

private struct Reference: Decodable {
    struct Record: Decodable { var text: String; var greedy64: [Int32] }
    var eos_token_id: Int32
    var records: [Record]
}

private func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("runner-eval-stage-\(UUID().uuidString)/\(name)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func manifest(kind: String, stage: String) -> ArtifactManifest {
    ArtifactManifest(key: stage, stageName: stage, kind: kind, implementationVersion: 1, params: "{}", inputKeys: [:], inputFiles: [:],
                     files: [], primaryFile: nil, toolVersion: "test", createdAt: "", seconds: 0, metrics: [:])
}

/// Compiles a recipe whose `check` stage is an eval of `questionsName` (written with `questions`), and
/// runs the registered eval implementation on `inputs`.
private func runEval(project: URL, questionsName: String, questions: String, params: String,
                     inputs: [String: InputArtifact], log: Log = Log()) throws -> (StageResult, URL) {
    try questions.write(to: project.appendingPathComponent(questionsName), atomically: true, encoding: .utf8)
    let recipeURL = project.appendingPathComponent("recipe.yaml")
    try """
    version: 1
    name: evaltest
    stages:
      base: {kind: load, path: \(questionsName)}
      other: {kind: load, path: \(questionsName)}
      check:
        kind: eval
        path: \(questionsName)
    \(params)
    """.write(to: recipeURL, atomically: true, encoding: .utf8)
    let recipe = try RecipeLoader.compile(file: recipeURL)
    let stage = try #require(recipe.stages.first { $0.name == "check" })
    let output = try temporaryDirectory("out")
    let context = StageContext(stage: stage, inputs: inputs, outputDirectory: output, seed: recipe.seed, projectDirectory: project,
                               progress: StageProgress(stageName: "check", observer: log), cancellation: CancellationFlag())
    let implementation = try #require(Stages.builtinRegistry.implementation(for: "eval"))
    return (try implementation.run(context), output)
}

@Test func evalAnswersLikeTransformersAndScoresExactlyThoseAnswers() throws {
    try #require(FileManager.default.fileExists(atPath: smolLM2.path), "models/SmolLM2-135M-Instruct.Q4_1.gguf is missing: run scripts/bootstrap.sh")
    let project = try temporaryDirectory("project")
    let artifact = try temporaryDirectory("base")
    defer { try? FileManager.default.removeItem(at: project.deletingLastPathComponent()) }
    defer { try? FileManager.default.removeItem(at: artifact.deletingLastPathComponent()) }
    let bundle = try ModelBundle.open(smolLM2)
    try bundle.writeNormalized(to: artifact, dtype: .f32)  // what the load stage publishes
    let model = InputArtifact(stageName: "base", key: "base", directory: artifact, manifest: manifest(kind: "load", stage: "base"))
    let baseline = InputArtifact(stageName: "other", key: "other", directory: artifact, manifest: manifest(kind: "load", stage: "other"))

    let questions = """
    {"id": "capital", "prompt": "What is the capital of France?", "reference": "The capital of France is Paris.", "facts": ["Paris", "capital of France", "Lyon"]}

    {"question": "Name a primary color.", "required_facts": ["red"], "reference_answer": "Red is a primary color."}
    """
    let log = Log()
    let (result, output) = try runEval(project: project, questionsName: "questions.jsonl", questions: questions,
                                       params: "    model: base\n    baseline: other\n    max_new_tokens: 12",
                                       inputs: ["model": model, "baseline": baseline], log: log)
    #expect(result.primaryFile == "eval.json")
    let results = try JSONDecoder().decode(EvalResults.self, from: Data(contentsOf: output.appendingPathComponent("eval.json")))

    // The chat prompt with SmolLM2's default system turn is the fixture's; its greedy answer is transformers'.
    let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf:
        packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/smollm2/reference.json")))
    let record = reference.records[0]
    #expect(record.text.contains("What is the capital of France?"))
    var expectedTokens = record.greedy64
    if expectedTokens.last == reference.eos_token_id { expectedTokens.removeLast() }
    #expect(expectedTokens.count < 12)
    let expected = bundle.tokenizer.decode(expectedTokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(results.questions[0].model.answer == expected)
    #expect(results.questions[0].model.stopReason == "eos")
    #expect(results.questions[1].model.newTokens <= 12)

    // eval.json scores exactly those answers; the baseline (same weights) gets the same answers.
    let questionsRead = results.questions.map { EvalQuestion(id: $0.id, prompt: $0.prompt, reference: $0.reference, facts: $0.facts) }
    #expect(questionsRead[0].id == "capital" && questionsRead[1].facts == ["red"] && questionsRead[1].reference == "Red is a primary color.")
    for (item, question) in zip(results.questions, questionsRead) {
        let answer = GeneratedAnswer(text: item.model.answer, newTokens: item.model.newTokens, stopReason: item.model.stopReason, seconds: item.model.seconds)
        #expect(EvalScorer.score(answer, for: question, metrics: [.factRecall, .rougeL]) == item.model)
        #expect(item.baseline?.answer == item.model.answer)
    }
    #expect(results.questions[0].model.factsHit == ["Paris", "capital of France"] && results.questions[0].model.factsMissed == ["Lyon"])
    #expect(results.model.stage == "base" && results.baseline?.stage == "other")
    #expect(result.metrics["fact_recall"] == results.model.factRecall && result.metrics["baseline_fact_recall"] == results.model.factRecall)
    #expect(result.metrics["rouge_l"] == results.model.rougeL && result.metrics["rouge_l"]! > 0)
    #expect(log.lines.contains { $0.contains("Q: What is the capital of France?") })
    #expect(log.lines.contains { $0.hasPrefix("model `base`: fact recall") })
}

@Test func badQuestionFilesAreReportedWithLineNumbers() throws {
    let project = try temporaryDirectory("project")
    defer { try? FileManager.default.removeItem(at: project.deletingLastPathComponent()) }
    let unused = InputArtifact(stageName: "base", key: "base", directory: project, manifest: manifest(kind: "load", stage: "base"))
    func message(_ name: String, _ text: String, params: String = "    model: base") -> String {
        do {
            _ = try runEval(project: project, questionsName: name, questions: text, params: params, inputs: ["model": unused])
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }
    let bad = """
    {"prompt": "ok", "facts": ["a"]}
    {"prompt": 3, "facts": ["a"]}

    {"question": "no reference or facts"}
    {"prompt": "x", "facts": "not a list"}
    {"prompt": "x", "facts": ["fine", "?!"]}
    {"prompt": "x", "facts": [
    """
    let text = message("bad.jsonl", bad)
    #expect(text.contains("bad.jsonl:7:"), "\(text)")  // the JSON syntax error comes first, by line
    let fixed = bad.split(separator: "\n", omittingEmptySubsequences: false).dropLast().joined(separator: "\n")
    let all = message("bad.jsonl", fixed)
    #expect(all.hasPrefix("bad.jsonl:2:1: error: record 2: `prompt` must be a string"), "\(all)")  // relative to the recipe
    #expect(all.contains("bad.jsonl:4:1: error: record 3: has neither a `reference`"), "\(all)")
    #expect(all.contains("bad.jsonl:5:1: error: record 4: `facts` must be a list of strings"), "\(all)")
    #expect(all.contains("bad.jsonl:6:1: error: record 5: `facts[1]` (\"?!\") has no letters or digits"), "\(all)")

    #expect(message("q.jsonl", #"{"prompt": "x", "reference": "y"}"#).contains("no question has facts, so fact_recall cannot be computed"))
    #expect(message("q.csv", "prompt,reference\nx,y\n").contains("must be JSON or JSON Lines"))
    #expect(message("empty.json", "[]").contains("no questions") || message("empty.json", "[]").contains("no list"))
    // A model input whose artifact lacks what generation needs is named, with the missing file.
    let lora = InputArtifact(stageName: "adapter", key: "a", directory: project, manifest: manifest(kind: "lora", stage: "adapter"))
    do {
        _ = try runEval(project: project, questionsName: "q.jsonl", questions: #"{"prompt": "x", "facts": ["y"], "reference": "y"}"#,
                        params: "    model: base", inputs: ["model": lora])
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("adapter_config.json: is missing (the artifact is incomplete"), "\(error)")
    }
}
