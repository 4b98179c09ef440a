// The model a suite names, opened without a tokenizer (the tiny test model has none): its config
// and its weights in their native naming, from a `.gguf` file or a Hugging Face directory.
import Basics
import Foundation
import Models

enum BenchModel {
    /// Config and weight source of `path`.
    /// - Throws: `RunnerError` naming the path when it is missing or not a model.
    static func open(_ path: String) throws -> (config: LlamaConfig, source: any WeightSource) {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RunnerError(path, "no such model", hint: "give a .gguf file or a Hugging Face model directory")
        }
        if isDirectory.boolValue {
            let config = try LlamaConfig.load(contentsOf: url.appendingPathComponent("config.json"))
            return (config, try SafetensorsWeights(at: url))
        }
        let source = try GGUFWeights(contentsOf: url)
        return (try LlamaConfig.fromGGUF(source.file), source)
    }
}
