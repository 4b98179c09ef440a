// Support for the quantize/train stage tests: a project holding the tiny random Llama of
// Tests/ModelsTests/Fixtures/tiny (with a one-token-per-byte tokenizer.json), run in-process
// through the real compiler and executor into a private cache.
import Foundation
import Pipeline
import Recipe
import Stages
import RunnerTestSupport
import Testing

enum QuantizeSupport {
    static let tinyModel = TinyModelFixture.directory
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/quantize")

    /// A fresh project directory with `model/` (the tiny Llama, or the files of `modelFrom`) and `data.jsonl`.
    static func project(modelFrom: URL = tinyModel) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runner-quantize-\(UUID().uuidString)")
        try TinyModelFixture.writeModel(to: root.appendingPathComponent("model"), from: modelFrom)
        try TinyModelFixture.colorsJSONL().write(to: root.appendingPathComponent("data.jsonl"), atomically: true, encoding: .utf8)
        return root
    }

    /// Compiles `recipe` (the YAML text after `stages:`'s parent lines) in `project` and applies it.
    static func apply(_ stages: String, in project: URL) throws -> (RunRecord, ArtifactStore) {
        let url = project.appendingPathComponent("recipe.yaml")
        try ("version: 1\nname: quantize-test\nseed: 7\nstages:\n" + stages).write(to: url, atomically: true, encoding: .utf8)
        let compiled = try RecipeLoader.compile(file: url)
        let store = ArtifactStore(root: project.appendingPathComponent(".cache"))
        let record = try Executor(store: store, registry: Stages.builtinRegistry).apply(compiled)
        return (record, store)
    }

    /// The published artifact directory of stage `name`.
    static func artifact(_ name: String, _ record: RunRecord, _ store: ArtifactStore) throws -> URL {
        let stage = try #require(record.stages.first { $0.name == name }, "stage \(name) not in the run")
        return try #require(store.lookup(stage.key), "stage \(name) published nothing: \(stage.error ?? "")").data
    }
}
