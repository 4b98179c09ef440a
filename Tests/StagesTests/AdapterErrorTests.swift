// Bad adapters fail with a message naming the file, the key path or tensor, and what to do: a base
// of another shape, target modules the base lacks, missing files, malformed adapter_config.json,
// tensor names that map onto nothing, features runner cannot apply.
import Basics
import Formats
import Foundation
import Models
import Testing

/// A scratch adapter directory: the `ours` fixture's files, with edits.
private struct ScratchAdapter {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString)")

    init(copying files: [String] = ["adapter_config.json", "adapter_model.safetensors"]) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for file in files {
            try FileManager.default.copyItem(at: adapterFixtures.appendingPathComponent("ours/\(file)"), to: url.appendingPathComponent(file))
        }
    }

    func editConfig(_ edit: (inout [String: Any]) -> Void) throws {
        let file = url.appendingPathComponent("adapter_config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: file)
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

private func error(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}

@Test func adapterForABaseOfAnotherShapeNamesTheModuleAndBothShapes() throws {
    let adapter = try PeftAdapter.open(adapterFixtures.appendingPathComponent("ours"))
    let other = stagesPackageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny/llama3_untied_f16")   // 1 KV head, not 2
    let config = try LlamaConfig.load(contentsOf: other.appendingPathComponent("config.json"))
    let message = error { _ = try AdaptedWeights(base: SafetensorsWeights(at: other), baseConfig: config, adapter: adapter, baseDescription: "`llama3`") }
    #expect(message.contains("module `model.layers.0.self_attn.k_proj`: lora_A is [4, 64] and lora_B [32, 4], but `llama3`'s weight is [16, 64]"), "\(message)")
    #expect(message.contains("trained on a model of another size"))
}

@Test func adapterWithMoreLayersThanTheBaseIsRejected() throws {
    let scratch = try ScratchAdapter(copying: ["adapter_config.json"]); defer { scratch.cleanup() }
    let a = SafetensorsTensor(name: "base_model.model.model.layers.5.self_attn.q_proj.lora_A.weight", shape: [4, 64], floats: (0..<256).map { Float($0) / 256 })
    let b = SafetensorsTensor(name: "base_model.model.model.layers.5.self_attn.q_proj.lora_B.weight", shape: [64, 4], floats: (0..<256).map { Float($0) / 512 })
    try SafetensorsWriter.write([a, b], to: scratch.url.appendingPathComponent("adapter_model.safetensors"))
    let adapter = try PeftAdapter.open(scratch.url)
    let message = error { _ = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: adapter) }
    #expect(message.contains("module `model.layers.5.self_attn.q_proj` is in layer 5, but the base model has 2 layers"), "\(message)")
}

@Test func targetModulesTheBaseLacksAreNamed() throws {
    let scratch = try ScratchAdapter(); defer { scratch.cleanup() }
    try scratch.editConfig { $0["target_modules"] = ["q_proj", "c_attn"] }
    let adapter = try PeftAdapter.open(scratch.url)
    let message = error { _ = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: adapter) }
    #expect(message.contains("adapter_config.json: target_modules: `c_attn` names no Linear layer of the base model (llama)"), "\(message)")
    #expect(message.contains("q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"))
}

@Test func missingAdapterFilesAreNamed() throws {
    let scratch = try ScratchAdapter(copying: ["adapter_config.json"]); defer { scratch.cleanup() }
    let message = error { _ = try PeftAdapter.open(scratch.url) }
    #expect(message.contains("\(scratch.url.path): has no adapter_model.safetensors"), "\(message)")
    let empty = try ScratchAdapter(copying: []); defer { empty.cleanup() }
    #expect(error { _ = try PeftAdapter.open(empty.url) }.contains("has no adapter_config.json and adapter_model.safetensors"))
    #expect(error { _ = try PeftAdapter.open(empty.url.appendingPathComponent("nope")) }.contains("is not a directory"))
}

@Test func malformedAdapterConfigNamesTheKeyPath() throws {
    let scratch = try ScratchAdapter(); defer { scratch.cleanup() }
    try scratch.editConfig { $0["lora_alpha"] = "eight" }
    #expect(error { _ = try PeftAdapter.open(scratch.url) }.contains("adapter_config.json: lora_alpha: expected a number"))
    try scratch.editConfig { $0["lora_alpha"] = 8; $0["r"] = nil }
    #expect(error { _ = try PeftAdapter.open(scratch.url) }.contains("adapter_config.json: r: is missing"))
    try scratch.editConfig { $0["r"] = 4; $0["target_modules"] = ["q_proj", 3] }
    #expect(error { _ = try PeftAdapter.open(scratch.url) }.contains("adapter_config.json: target_modules.[1]: expected a string"))
    try "{\"r\": 4,".write(to: scratch.url.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
    let truncated = error { _ = try PeftAdapter.open(scratch.url) }
    #expect(truncated.contains("adapter_config.json") && truncated.contains("fix the file"), "\(truncated)")
}

@Test func configThatDisagreesWithTheWeightsOrNeedsUnsupportedMathIsRejected() throws {
    let scratch = try ScratchAdapter(); defer { scratch.cleanup() }
    try scratch.editConfig { $0["r"] = 8 }
    #expect(error { _ = try PeftAdapter.open(scratch.url) }.contains("has rank 4, but adapter_config.json says r = 8"))
    try scratch.editConfig { $0["r"] = 4; $0["use_dora"] = true }
    #expect(error { _ = try PeftAdapter.open(scratch.url) }.contains("has no lora_magnitude_vector, but adapter_config.json says use_dora: true"))
}

@Test func tensorNamesThatDoNotMapAreListed() throws {
    let scratch = try ScratchAdapter(copying: ["adapter_config.json"]); defer { scratch.cleanup() }
    let names = ["transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_proj.weight", "transformer.h.1.attn.c_attn.weight",
                 "transformer.h.1.attn.c_proj.weight"]
    try SafetensorsWriter.write(names.map { SafetensorsTensor(name: $0, shape: [2, 2], floats: [1, 2, 3, 4]) },
                                to: scratch.url.appendingPathComponent("adapter_model.safetensors"))
    let message = error { _ = try PeftAdapter.open(scratch.url) }
    #expect(message.contains("4 tensor names do not map onto a LoRA adapter: `transformer.h.0.attn.c_attn.weight`, `transformer.h.0.attn.c_proj.weight`, `transformer.h.1.attn.c_attn.weight`, …"), "\(message)")
    #expect(message.contains("expected PEFT names such as"))
}

@Test func halfAPairIsReported() throws {
    let scratch = try ScratchAdapter(copying: ["adapter_config.json"]); defer { scratch.cleanup() }
    let a = SafetensorsTensor(name: "base_model.model.model.layers.0.mlp.up_proj.lora_A.weight", shape: [4, 64], floats: (0..<256).map { Float($0) })
    try SafetensorsWriter.write([a], to: scratch.url.appendingPathComponent("adapter_model.safetensors"))
    #expect(error { _ = try PeftAdapter.open(scratch.url) }.contains("module `model.layers.0.mlp.up_proj` has lora_A but no lora_B"))
}

@Test func regexTargetModulesMustMatchALinearLayer() throws {
    let scratch = try ScratchAdapter(); defer { scratch.cleanup() }
    try scratch.editConfig { $0["target_modules"] = #".*\.layers\.\d+\.(self_attn|mlp)\..*_proj"# }
    let matching = try PeftAdapter.open(scratch.url)
    #expect(matching.config.targetModulesRegex)
    _ = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: matching)
    try scratch.editConfig { $0["target_modules"] = #".*\.attn\.c_attn"# }
    let message = error { _ = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: try PeftAdapter.open(scratch.url)) }
    #expect(message.contains(#"target_modules: the pattern `.*\.attn\.c_attn` matches no Linear layer of the base model (llama)"#), "\(message)")
}
