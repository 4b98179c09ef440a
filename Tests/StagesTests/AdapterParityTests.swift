// Adapters cross PEFT both ways: one PEFT made (rsLoRA, random nonzero B, a trained lm_head copy on a
// tied model) gives PEFT's logits and greedy tokens here; one runner trained gives here the logits
// PEFT computed with it (`PeftModel.from_pretrained`). References: tools/reference/adapter_fixtures.py.
import Foundation
import Formats
import Models
import Testing

@Test func peftMadeAdapterGivesPEFTsLogitsAndGreedyTokens() throws {
    let reference = try AdapterReference.load()
    let adapter = try PeftAdapter.open(adapterFixtures.appendingPathComponent("peft_made"))
    #expect(adapter.config.useRslora && adapter.deltas.count == 2 * 4 && adapter.savedLMHead != nil)
    #expect(adapter.deltas.allSatisfy { $0.b.contains { $0 != 0 } }, "the fixture's B matrices are nonzero")
    let weights = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: adapter)
    #expect(weights.config.tieWordEmbeddings == false, "a saved lm_head copy unties the head")
    let (logits, greedy) = try logitsAndGreedy(weights, config: weights.config, input: reference.input_ids,
                                               newTokens: reference.peft_made.greedy.count)
    #expect(relativeError(logits, reference.peft_made.logits) < 1e-4)
    #expect(greedy == reference.peft_made.greedy)

    // Without the adapter the base gives other logits: the comparison above is not vacuous.
    let base = try logitsAndGreedy(SafetensorsWeights(at: tinyLlamaTied), config: try tinyConfig(), input: reference.input_ids, newTokens: 0)
    #expect(relativeError(base.logits, reference.peft_made.logits) > 1e-2)
}

@Test func runnerTrainedAdapterGivesTheLogitsPEFTComputesWithIt() throws {
    let reference = try AdapterReference.load()
    let adapter = try PeftAdapter.open(adapterFixtures.appendingPathComponent("ours"))
    #expect(adapter.deltas.count == 2 * 7)
    let weights = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: adapter)
    let (logits, greedy) = try logitsAndGreedy(weights, config: weights.config, input: reference.input_ids, newTokens: reference.ours.greedy.count)
    #expect(relativeError(logits, reference.ours.logits) < 1e-4)
    #expect(greedy == reference.ours.greedy)
}

@Test func adapterNamesWithPEFTsAdapterNameLoadTheSame() throws {
    // A state dict saved without PEFT's stripping keeps `.default`: `…q_proj.lora_A.default.weight`.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-default-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let source = adapterFixtures.appendingPathComponent("peft_made")
    try FileManager.default.copyItem(at: source.appendingPathComponent("adapter_config.json"), to: directory.appendingPathComponent("adapter_config.json"))
    let file = try SafetensorsFile(contentsOf: source.appendingPathComponent("adapter_model.safetensors"))
    let renamed = try file.tensors.map { info in
        let name = info.name.replacingOccurrences(of: ".lora_A.weight", with: ".lora_A.default.weight")
            .replacingOccurrences(of: ".lora_B.weight", with: ".lora_B.default.weight")
            .replacingOccurrences(of: "lm_head.weight", with: "lm_head.modules_to_save.default.weight")
        return SafetensorsTensor(name: name, shape: info.shape, floats: try file.floats(of: info))
    }
    #expect(renamed.contains { $0.name.hasSuffix("lora_A.default.weight") })
    try SafetensorsWriter.write(renamed, to: directory.appendingPathComponent("adapter_model.safetensors"))
    let original = try PeftAdapter.open(source), reloaded = try PeftAdapter.open(directory)
    #expect(reloaded.deltas.map(\.module) == original.deltas.map(\.module))
    #expect(zip(reloaded.deltas, original.deltas).allSatisfy { $0.a == $1.a && $0.b == $1.b && $0.scale == $1.scale })
    #expect(reloaded.savedLMHead?.hostFloats() == original.savedLMHead?.hostFloats())
}

@Test func rsLoRAScalesByTheSquareRootOfTheRank() throws {
    let peft = try PeftAdapter.open(adapterFixtures.appendingPathComponent("peft_made"))   // alpha 6, r 4, rsLoRA
    #expect(peft.deltas.allSatisfy { abs($0.scale - 6 / 2) < 1e-6 })
    let ours = try PeftAdapter.open(adapterFixtures.appendingPathComponent("ours"))         // alpha 8, r 4
    #expect(ours.deltas.allSatisfy { abs($0.scale - 2) < 1e-6 })
}
