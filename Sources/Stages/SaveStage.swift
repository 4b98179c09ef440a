// The `save` stage: the trained adapter in PEFT layout (`adapter_config.json` +
// `adapter_model.safetensors`), copied from the `train` artifact; the pipeline materializes the
// output at the recipe's `path`.
import Basics
import Foundation
import Pipeline

struct SaveStage: StageImplementation {
    static let kind = "save"
    static let version = 1

    func run(_ context: StageContext) throws -> StageResult {
        let from = try context.input("from")
        var bytes = 0
        for name in [PeftAdapterConfig.fileName, TrainStage.adapterFile] {
            let source = from.file(name)
            guard let data = FileManager.default.contents(atPath: source.path) else {
                throw RunnerError("stage `\(context.stage.name)`", "the `\(from.manifest.kind)` artifact of `\(from.stageName)` has no \(name)",
                                  hint: "save takes a `train` stage in adapter mode")
            }
            try AtomicFile.write(data, to: context.outputDirectory.appendingPathComponent(name))
            bytes += data.count
        }
        context.log("adapter: \(bytes) bytes")
        return StageResult(metrics: ["bytes": Double(bytes)])
    }
}
