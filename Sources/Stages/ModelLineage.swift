// What stands behind a model input: the `load` artifact with the base weights, the `quantize`
// artifact (bitsandbytes layout) when there is one, and the settings the `quantize`, `prepare_kbit`
// and `lora` stages on the way recorded. Walks `from` links upstream.
import Basics
import Foundation
import Pipeline

struct ModelLineage {
    /// The `load` artifact (config.json, model.safetensors, tokenizer).
    var base: InputArtifact
    var quantize: QuantizeSettings?
    /// The `quantize` artifact (config.json with `quantization_config`, model.safetensors in
    /// bitsandbytes layout, tokenizer): where a quantized base's weights come from.
    var quantized: InputArtifact?
    var prepare: PrepareSettings?
    var lora: (config: PeftAdapterConfig, initialization: LoraInitRecord)?

    /// Walks from `artifact` through `lora` → `prepare_kbit` → `quantize` → `load`.
    /// - Throws: naming the stage when the chain holds a kind that cannot stand behind a model here.
    init(_ artifact: InputArtifact, for stageName: String) throws {
        var current = artifact
        var visited = 0
        while true {
            visited += 1
            let dir = current.directory
            switch current.manifest.kind {
            case "load":
                base = current
                return
            case QuantizeStage.kind:
                quantized = current
                quantize = try StageJSON.read(QuantizeSettings.self, from: dir.appendingPathComponent(QuantizeStage.fileName))
            case PrepareKbitStage.kind:
                prepare = try StageJSON.read(PrepareSettings.self, from: dir.appendingPathComponent(PrepareKbitStage.fileName))
            case LoraStage.kind:
                lora = (try StageJSON.read(PeftAdapterConfig.self, from: dir.appendingPathComponent(PeftAdapterConfig.fileName)),
                        try StageJSON.read(LoraInitRecord.self, from: dir.appendingPathComponent(LoraInitRecord.fileName)))
            default:
                throw RunnerError("stage `\(stageName)`", "cannot train on the output of a `\(current.manifest.kind)` stage (`\(current.stageName)`)",
                                  hint: "build the model input from load → [quantize → prepare_kbit →] lora")
            }
            guard visited < 16 else { throw RunnerError("stage `\(stageName)`", "model inputs nest too deeply") }
            current = try current.upstream("from")
        }
    }
}
