// The `lora` stage: the adapter configuration, in PEFT's `adapter_config.json` (`use_dora` for DoRA),
// plus `lora_init.json` (init scheme and seed). The initial A/B matrices (and DoRA magnitudes, the
// base's row norms) are not stored: `TrainableModel` creates them deterministically from (seed, module
// name) when `train` builds the model, so this config is the whole artifact.
import Basics
import Foundation
import Models
import Pipeline

struct LoraStage: StageImplementation {
    static let kind = "lora"
    static let version = 2

    func run(_ context: StageContext) throws -> StageResult {
        let lineage = try ModelLineage(try context.input("from"), for: context.stage.name)   // a model we can train on
        let targets: [String]
        if case .string("all-linear")? = context.param("target_modules") {
            targets = PeftAdapterConfig.allLinear
        } else {
            targets = try context.strings("target_modules")
        }
        let scheme = try context.string("init")
        var config = PeftAdapterConfig(
            r: try context.int("r"), loraAlpha: try context.double("alpha"), loraDropout: try context.double("dropout"),
            targetModules: targets, useRslora: try context.bool("use_rslora"),
            // The base is identified by content (the cache key), not by a Hub name; PEFT accepts none.
            baseModelNameOrPath: nil,
            modulesToSave: try context.strings("modules_to_save"), initLoraWeights: scheme == "gaussian" ? .gaussian : .kaiming)
        config.useDora = try context.bool("use_dora")
        try Self.check(config, model: try LlamaConfig.load(contentsOf: lineage.base.directory.appendingPathComponent("config.json")),
                       stage: context.stage.name)
        try StageJSON.write(config, to: context.outputDirectory.appendingPathComponent(PeftAdapterConfig.fileName))
        try StageJSON.write(LoraInitRecord(scheme: scheme, seed: try context.optionalInt("seed") ?? Int(context.seed)),
                            to: context.outputDirectory.appendingPathComponent(LoraInitRecord.fileName))
        context.log("r \(config.r), alpha \(config.loraAlpha)\(config.useDora ? ", DoRA" : ""), targets \(targets.joined(separator: ", "))")
        return StageResult(metrics: ["r": Double(config.r)], primaryFile: nil)
    }
}

extension LoraStage {
    /// Checks the adapter settings against the model before anything trains: every target matches a
    /// Linear layer (the error lists the model's modules), and `r` fits every adapted layer.
    static func check(_ peft: PeftAdapterConfig, model: LlamaConfig, stage: String) throws {
        let targets: LoraTargets = Set(peft.targetModules) == Set(PeftAdapterConfig.allLinear) ? .allLinear : .names(peft.targetModules)
        let lora = LoraConfig(rank: peft.r, alpha: Float(peft.loraAlpha), dropout: Float(peft.loraDropout), targets: targets,
                              modulesToSave: peft.modulesToSave ?? [], useDora: peft.useDora)
        let adapted: [(layer: Int, module: LinearModule)]
        do {
            adapted = try lora.resolveTargets(layerCount: model.layerCount)
        } catch let error as RunnerError {
            let key = error.context.hasPrefix("lora.") ? String(error.context.dropFirst(5)) : error.context
            throw RunnerError("stage `\(stage)`: \(key)", error.message, hint: error.hint)
        }
        for module in Set(adapted.map(\.module)).sorted(by: { $0.rawValue < $1.rawValue }) {
            let (rows, columns) = linearShape(module, model)
            guard peft.r <= min(rows, columns) else {
                throw RunnerError("stage `\(stage)`: r", "rank \(peft.r) exceeds \(module.rawValue)'s smaller dimension (\(rows) × \(columns))",
                                  hint: "use r ≤ \(min(rows, columns)), or leave \(module.rawValue) out of target_modules")
            }
        }
    }

    /// (out, in) of a block Linear.
    static func linearShape(_ module: LinearModule, _ c: LlamaConfig) -> (Int, Int) {
        let (hidden, inner, q, kv) = (c.hiddenSize, c.intermediateSize, c.headCount * c.headDim, c.kvHeadCount * c.headDim)
        switch module {
        case .q_proj: return (q, hidden)
        case .k_proj, .v_proj: return (kv, hidden)
        case .o_proj: return (hidden, q)
        case .gate_proj, .up_proj: return (inner, hidden)
        case .down_proj: return (hidden, inner)
        }
    }
}

/// `lora_init.json`: how the adapters start (A from `scheme` seeded by `seed` per module, B = 0).
struct LoraInitRecord: Codable, Equatable {
    static let fileName = "lora_init.json"
    var scheme: String   // kaiming | gaussian
    var seed: Int
}
