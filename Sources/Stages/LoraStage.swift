// The `lora` stage: the adapter configuration, in PEFT's `adapter_config.json`, plus `lora_init.json`
// (init scheme and seed). The initial A/B matrices are not stored: `TrainableModel` creates them
// deterministically from (seed, module name) when `train` builds the model, so this config is the
// whole artifact.
import Basics
import Foundation
import Pipeline

struct LoraStage: StageImplementation {
    static let kind = "lora"
    static let version = 1

    func run(_ context: StageContext) throws -> StageResult {
        _ = try ModelLineage(try context.input("from"), for: context.stage.name)   // a model we can train on
        let targets: [String]
        if case .string("all-linear")? = context.param("target_modules") {
            targets = PeftAdapterConfig.allLinear
        } else {
            targets = try context.strings("target_modules")
        }
        let scheme = try context.string("init")
        let config = PeftAdapterConfig(
            r: try context.int("r"), loraAlpha: try context.double("alpha"), loraDropout: try context.double("dropout"),
            targetModules: targets, useRslora: try context.bool("use_rslora"),
            // The base is identified by content (the cache key), not by a Hub name; PEFT accepts none.
            baseModelNameOrPath: nil,
            modulesToSave: try context.strings("modules_to_save"), initLoraWeights: scheme == "gaussian" ? .gaussian : .kaiming)
        try StageJSON.write(config, to: context.outputDirectory.appendingPathComponent(PeftAdapterConfig.fileName))
        try StageJSON.write(LoraInitRecord(scheme: scheme, seed: try context.optionalInt("seed") ?? Int(context.seed)),
                            to: context.outputDirectory.appendingPathComponent(LoraInitRecord.fileName))
        context.log("r \(config.r), alpha \(config.loraAlpha), targets \(targets.joined(separator: ", "))")
        return StageResult(metrics: ["r": Double(config.r)], primaryFile: nil)
    }
}

/// `lora_init.json`: how the adapters start (A from `scheme` seeded by `seed` per module, B = 0).
struct LoraInitRecord: Codable, Equatable {
    static let fileName = "lora_init.json"
    var scheme: String   // kaiming | gaussian
    var seed: Int
}
