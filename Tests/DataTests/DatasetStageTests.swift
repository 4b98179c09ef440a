// The `dataset` stage end to end: a recipe compiled by the real compiler (defaults and seed filled),
// a load-stage-like artifact holding SmolLM2's config and vocabulary-only GGUF, and data/faq.json.
import Basics
import Foundation
import Formats
import Models
import Pipeline
import Recipe
import Stages
import Testing
@testable import Data

@Suite struct DatasetStageTests {
    final class Log: ExecutionObserver, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var lines: [String] = []
        func handle(_ event: ExecutionEvent) {
            guard case .log(_, let message) = event else { return }
            lock.lock()
            lines.append(message)
            lock.unlock()
        }
    }

    func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("runner-dataset-stage-\(UUID().uuidString)/\(name)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// What the load stage publishes for a GGUF model, minus the weights: config.json and tokenizer.gguf.
    func tokenizerArtifact() throws -> URL {
        let gguf = Support.packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
        _ = try Support.smol()  // fails with the bootstrap hint when the model is missing
        let directory = try temporaryDirectory("base")
        let file = try GGUFFile(contentsOf: gguf)
        try AtomicFile.write(try ModelBundle.open(gguf).config.huggingFaceConfigJSON(dtype: .f32), to: directory.appendingPathComponent("config.json"))
        var writer = try GGUFWriter(architecture: file.architecture ?? "llama", context: ModelBundle.vocabularyFileName)
        for entry in file.metadata.entries where entry.key.hasPrefix("tokenizer.") { try writer.set(entry.key, entry.value) }
        try writer.write(to: directory.appendingPathComponent(ModelBundle.vocabularyFileName))
        return directory
    }

    @Test func runsOnTheFAQAndPublishesTrainEvalAndStats() throws {
        let project = try temporaryDirectory("project")
        try FileManager.default.copyItem(at: Support.packageRoot.appendingPathComponent("data/faq.json"), to: project.appendingPathComponent("faq.json"))
        let recipeURL = project.appendingPathComponent("recipe.yaml")
        try """
        version: 1
        name: faq
        seed: 7
        stages:
          base: {kind: load, path: faq.json}
          faq:
            kind: dataset
            path: faq.json
            tokenizer: base
            format: alpaca
            columns: {instruction: question, output: answer}
            use_chat_template: true
            system_prompt: You are Fernhollow's support assistant.
            max_seq_len: 192
            packing: true
            eval_split: 0.1
        """.write(to: recipeURL, atomically: true, encoding: .utf8)
        let recipe = try RecipeLoader.compile(file: recipeURL)
        let stage = try #require(recipe.stages.first { $0.name == "faq" })
        #expect(stage.params["seed"] == .int(7))

        let log = Log()
        let output = try temporaryDirectory("out")
        let manifest = ArtifactManifest(key: "k", stageName: "base", kind: "load", implementationVersion: 1, params: "{}", inputKeys: [:],
                                        inputFiles: [:], files: [], primaryFile: nil, toolVersion: "test", createdAt: "", seconds: 0, metrics: [:])
        let context = StageContext(stage: stage, inputs: ["tokenizer": InputArtifact(stageName: "base", key: "k", directory: try tokenizerArtifact(), manifest: manifest)],
                                   outputDirectory: output, seed: recipe.seed, projectDirectory: project,
                                   progress: StageProgress(stageName: "faq", observer: log), cancellation: CancellationFlag())
        let result = try DatasetStage().run(context)

        #expect(result.metrics["examples"] == 130 && result.metrics["eval_examples"] == 15)
        let train = try DatasetArtifact(contentsOf: output.appendingPathComponent("train.bin"))
        let eval = try DatasetArtifact(contentsOf: output.appendingPathComponent("eval.bin"))
        #expect(train.isPacked && train.exampleCount == 130 && eval.exampleCount == 15)
        #expect(Double(train.tokenCount) == result.metrics["tokens"])
        #expect(Double(train.rowCount) == result.metrics["sequences"])
        let efficiency = try #require(result.metrics["packing_efficiency"])
        #expect(efficiency > 0.5 && efficiency <= 1)
        // Every row starts with the chat template's system turn: positions restart per example.
        let row = train.row(0)
        let smol = try Support.smol()
        let starts = row.positionIds.indices.filter { row.positionIds[$0] == 0 }
        #expect(starts.allSatisfy { smol.tokenizer.tokenPiece(row.ids[$0]) == "<|im_start|>" })
        #expect(log.lines.first?.hasPrefix("130 training examples") == true)
        #expect(log.lines.contains { $0.hasPrefix("packed 130 examples into \(train.rowCount) rows of 192 tokens") })
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("stats.json").path))
    }
}
