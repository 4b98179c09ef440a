// The `load` stage: a model the user points at (GGUF file or Hugging Face directory) becomes a
// normalized, content-addressed artifact — HF config, safetensors weights in HF naming and row
// order, tokenizer and chat template — that every later stage reads the same way.
import Basics
import Compute
import Foundation
import Models
import Pipeline

struct LoadStage: StageImplementation {
    static let kind = "load"
    static let version = 1

    func run(_ context: StageContext) throws -> StageResult {
        guard let url = context.stage.inputFiles["path"] else {
            let path = (try? context.string("path")) ?? ""
            throw RunnerError("stage `\(context.stage.name)`: path", "cannot load `\(path)`: Hub downloads are not available yet",
                              hint: "download the model and point `path` at the local file or directory")
        }
        guard let dtype = DType(rawValue: try context.string("dtype")) else {
            throw RunnerError("stage `\(context.stage.name)`: dtype", "unsupported dtype")
        }
        context.log("reading \(url.lastPathComponent)")
        let bundle = try ModelBundle.open(url)
        try context.checkCancellation()
        let config = bundle.config
        context.log("\(config.architecture.rawValue): \(config.layerCount) layers, d=\(config.hiddenSize), "
                    + "heads \(config.headCount)/\(config.kvHeadCount), vocab \(config.vocabSize); writing \(dtype.rawValue) weights")
        try bundle.writeNormalized(to: context.outputDirectory, dtype: dtype)
        let parameters = config.weightShapes().reduce(0) { $0 + $1.1.count }
        return StageResult(metrics: ["parameters": Double(parameters), "layers": Double(config.layerCount),
                                     "vocab_size": Double(config.vocabSize)])
    }
}
