// One call from files to a ready model: read the config, load and upload the weights, plan
// the arena. Recognizes a GGUF file or a Hugging Face directory (config.json + safetensors).
import Basics
import Compute
import Formats
import Foundation

extension LlamaModel {
    /// Loads a model from a `.gguf` file or a Hugging Face directory (`config.json` + safetensors).
    ///
    /// - Parameters:
    ///   - weightDType: storage type of weight matrices on the backend (f32 default).
    ///   - maxSequence: KV cache length; `maxStepTokens`: most tokens in one `forward` (default maxSequence).
    public static func load(from url: URL, backend: any Backend, weightDType: DType = .f32, maxBatch: Int = 1,
                            maxSequence: Int, maxStepTokens: Int? = nil, logits: LogitsPolicy = .lastPosition) throws -> LlamaModel {
        let config: LlamaConfig
        let weights: LlamaWeights
        if url.pathExtension.lowercased() == "gguf" {
            let source = try GGUFWeights(contentsOf: url)
            config = try LlamaConfig.fromGGUF(source.file)
            weights = try LlamaWeights.load(from: source, config: config, backend: backend, dtype: weightDType)
        } else {
            // A directory, or its config.json: the weights are the directory's safetensors.
            let directory = url.pathExtension.lowercased() == "json" ? url.deletingLastPathComponent() : url
            config = try LlamaConfig.load(contentsOf: directory.appendingPathComponent("config.json"))
            let source = try SafetensorsWeights(at: directory)
            weights = try LlamaWeights.load(from: source, config: config, backend: backend, dtype: weightDType)
        }
        return try LlamaModel(config: config, weights: weights, backend: backend, maxBatch: maxBatch, maxSequence: maxSequence,
                              maxStepTokens: maxStepTokens ?? maxBatch * maxSequence, logits: logits)
    }
}
