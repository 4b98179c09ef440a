// The `export` stage end to end: a recipe loads the tiny HF checkpoint and exports it; `apply`
// materializes the GGUF at `path` with its Modelfile beside it, our loader reads the file back,
// a second apply is cached, and renaming the output re-exports (the name is inside the file).
import Formats
import Foundation
import Models
import Pipeline
import Recipe
import Stages
import Testing

@Suite struct ExportStageTests {
    func recipe(_ project: URL, output: String, type: String = "q8_0") throws -> CompiledRecipe {
        let text = """
        version: 1
        name: export-test
        stages:
          base: {kind: load, path: \(ExportFixtures.tinyModel.path)}
          gguf: {kind: export, from: base, path: \(output), type: \(type), modelfile: true}
        """
        let file = project.appendingPathComponent("recipe.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try RecipeLoader.compile(file: file)
    }

    @Test func applyMaterializesTheGGUFAndModelfile() throws {
        try ExportFixtures.withTemporaryDirectory { project in
            let store = ArtifactStore(root: project.appendingPathComponent(".runner"))
            let executor = Executor(store: store, registry: Stages.builtinRegistry)
            let first = try executor.apply(try recipe(project, output: "out/tiny-chat.gguf"))
            #expect(first.status == .succeeded, "\(first.error ?? "")")
            let gguf = project.appendingPathComponent("out/tiny-chat.gguf")
            let bundle = try ModelBundle.open(gguf)
            #expect(bundle.config.vocabSize == 336 && bundle.config.tieWordEmbeddings)
            let source = try ModelBundle.open(ExportFixtures.tinyModel)
            #expect(bundle.tokenizer.encode("Hello world! 2024") == source.tokenizer.encode("Hello world! 2024"))

            let modelfile = try String(contentsOf: project.appendingPathComponent("out/Modelfile"), encoding: .utf8)
            #expect(modelfile.hasPrefix("FROM ./tiny-chat.gguf\n"))
            #expect(modelfile.contains("TEMPLATE \"\"\"{{- if .System }}<|im_start|>system"))
            // SmolLM2's template adds a default system prompt when the conversation has none.
            #expect(modelfile.contains("SYSTEM \"\"\"You are a helpful AI assistant named SmolLM, trained by Hugging Face\"\"\""))
            #expect(modelfile.contains("PARAMETER stop \"<|im_end|>\""))

            let second = try executor.apply(try recipe(project, output: "out/tiny-chat.gguf"))
            #expect(second.stages.map(\.outcome) == [.hit, .hit])
            // The file name is part of the export (general.name, FROM), so a new name re-exports.
            let renamed = try executor.apply(try recipe(project, output: "out/other.gguf"))
            #expect(renamed.stages.map(\.outcome) == [.hit, .miss])
            let other = try GGUFFile(contentsOf: project.appendingPathComponent("out/other.gguf"))
            #expect(try other.metadata.string("general.name") == "other")
        }
    }

    @Test func llama3RopeScalingIsAClearError() throws {
        try ExportFixtures.withTemporaryDirectory { dir in
            let model = dir.appendingPathComponent("model")
            try FileManager.default.copyItem(at: ExportFixtures.tinyModel, to: model)
            let configURL = model.appendingPathComponent("config.json")
            var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            config["rope_parameters"] = ["rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 16]
            try JSONSerialization.data(withJSONObject: config).write(to: configURL)
            do {
                try GGUFExporter.export(try ModelBundle.open(model), type: .f16, name: "x", to: dir.appendingPathComponent("x.gguf"))
                Issue.record("expected an error")
            } catch {
                #expect("\(error)".contains("rope_freqs.weight"))
            }
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.gguf").path))
        }
    }

    @Test func modelfileWithoutChatMLLeavesTheTemplateToOllama() {
        let llama2 = "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"
        let (text, note) = OllamaModelfile.text(ggufFileName: "m.gguf", chatTemplate: llama2, eosToken: "</s>")
        #expect(note != nil && !text.contains("TEMPLATE \"\"\""))
        #expect(text.hasPrefix("FROM ./m.gguf\n") && text.contains("PARAMETER stop \"</s>\"") && text.contains("# the chat template is not ChatML"))
    }
}
