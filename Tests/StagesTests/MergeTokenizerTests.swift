// The `merge` stage on a GGUF-sourced base (the README demo's case): the merged directory carries
// tokenizer.json, tokenizer_config.json (with the chat template) and special_tokens_map.json made
// from the GGUF vocabulary — not tokenizer.gguf — and runner re-opens it with the same ids and template.
import Foundation
import Models
import Pipeline
import Recipe
import Stages
import Testing
import Tokenizer

@Suite struct MergeTokenizerTests {
    @Test func mergeOfAGGUFBaseWritesHuggingFaceTokenizerFiles() throws {
        try ExportFixtures.withTemporaryDirectory { project in
            let gguf = ExportFixtures.directory.appendingPathComponent("tiny.f32.gguf")
            let lines = ["red", "green", "blue", "amber"].map { #"{"prompt": "Say \#($0): ", "completion": "\#($0) 42"}"# }
            try (lines.joined(separator: "\n") + "\n").write(to: project.appendingPathComponent("data.jsonl"), atomically: true, encoding: .utf8)
            let recipe = project.appendingPathComponent("recipe.yaml")
            try """
            version: 1
            name: merge-gguf-tokenizer
            stages:
              base: {kind: load, path: \(gguf.path), dtype: f32}
              adapters: {kind: lora, from: base, r: 4}
              data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
              tune: {kind: train, model: adapters, data: data, max_steps: 1}
              merged: {kind: merge, adapter: tune, base: base, dtype: f32, path: merged}
            """.write(to: recipe, atomically: true, encoding: .utf8)
            let executor = Executor(store: ArtifactStore(root: project.appendingPathComponent(".runner")), registry: Stages.builtinRegistry)
            let result = try executor.apply(try RecipeLoader.compile(file: recipe))
            #expect(result.status == .succeeded, "\(result.error ?? "")")

            let merged = project.appendingPathComponent("merged")
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: merged.path))
            for name in ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                         "special_tokens_map.json"] {
                #expect(files.contains(name), "merged/\(name) is missing")
            }
            #expect(!files.contains(ModelBundle.vocabularyFileName) && !files.contains("chat_template.jinja"), "\(files.sorted())")

            let source = try ModelBundle.open(gguf), reopened = try ModelBundle.open(merged)
            #expect(reopened.chatTemplate != nil && reopened.chatTemplate == source.chatTemplate)
            for text in ["Say red: red 42", "<|im_start|>user\nHi 2024!<|im_end|>\n", "  spaces\tand\nlines  ", "naïve café 🚀"] {
                for special in [false, true] {
                    #expect(reopened.tokenizer.encode(text, addSpecialTokens: special) == source.tokenizer.encode(text, addSpecialTokens: special),
                            "\(text.debugDescription)")
                }
            }
            let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: merged.appendingPathComponent("tokenizer_config.json"))) as? [String: Any])
            #expect(config["model_max_length"] as? Int == source.config.maxPositionEmbeddings)
            #expect(config["eos_token"] as? String == source.tokenizer.eosTokenId.flatMap { source.tokenizer.tokenPiece($0) })
        }
    }
}
