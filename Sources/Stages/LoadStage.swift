// The `load` stage: a model the user points at (GGUF file, Hugging Face directory or `hf://` repo) becomes a
// normalized, content-addressed artifact — HF config, safetensors weights in HF naming and row
// order, tokenizer and chat template — that every later stage reads the same way.
import Basics
import Compute
import Foundation
import Hub
import Models
import Pipeline

struct LoadStage: StageImplementation {
    static let kind = "load"
    static let version = 1

    func run(_ context: StageContext) throws -> StageResult {
        let url = try modelLocation(context)
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

    /// The local file or directory; for an `hf://` source (pinned to a commit by the planner), the
    /// snapshot in the HF cache, downloaded first unless HF_HUB_OFFLINE is set.
    private func modelLocation(_ context: StageContext) throws -> URL {
        if let url = context.stage.inputFiles["path"] { return url }
        guard let text = context.stage.remoteInputs["path"] else {
            throw RunnerError("stage `\(context.stage.name)`", "has no `path`")
        }
        let source = try HubSource(parsing: text)
        let downloader = HubDownloader(environment: .current())
        context.log("resolving \(source) through \(downloader.environment.offline ? "the local HF cache (offline)" : downloader.environment.endpoint.absoluteString)")
        do {
            return try downloader.fetch(source, log: context.log, isCancelled: { [context] in context.isCancelled })
        } catch {
            try context.checkCancellation()  // Ctrl-C: the partial download stays in the HF cache and resumes next time
            throw error
        }
    }
}
