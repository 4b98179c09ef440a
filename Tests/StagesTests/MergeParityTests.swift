// Merged checkpoints equal what transformers loaded: the merge rebuilds, byte for byte, the
// checkpoints tools/reference/adapter_fixtures.py had `runner apply` write and transformers load
// without a warning (f32; bf16 sharded; f32 from a QLoRA adapter on an NF4 base, which the script
// also checked against bitsandbytes' round trip + scale·B·A), and runs them to transformers' logits.
import Basics
import Compute
import Foundation
import Models
import Quant
import Testing

/// sha256 over the checkpoint's safetensors files and index, by name (as the script hashes them).
private func checkpointDigest(_ directory: URL) throws -> String {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasPrefix("model") && $0.contains(".safetensors") }.sorted()
    var bytes = Data()
    for name in names {
        bytes.append(Data(name.utf8))
        bytes.append(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
    return Digest.sha256Hex(bytes)
}

/// Merges `adapter` into the tiny base as the merge stage does and checks digest and logits.
private func checkMerge(adapter name: String, dtype: DType, maxShardBytes: Int, transform: BaseWeightTransform? = nil,
                        expected: AdapterReference.Case, input: [Int32]) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let adapter = try PeftAdapter.open(adapterFixtures.appendingPathComponent(name))
    let merged = try AdaptedWeights(base: SafetensorsWeights(at: tinyLlamaTied), baseConfig: try tinyConfig(), adapter: adapter, transform: transform)
    try CanonicalWeights.writeHuggingFaceCheckpoint(from: merged, config: merged.config, dtype: dtype, to: directory, maxShardBytes: maxShardBytes)
    try merged.config.huggingFaceConfigJSON(dtype: dtype).write(to: directory.appendingPathComponent("config.json"))
    #expect(try checkpointDigest(directory) == expected.digest, "the checkpoint transformers loaded is not what merge writes now")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(Set(files).isSubset(of: Set(expected.files ?? [])))
    let reloaded = try SafetensorsWeights(at: directory)
    let config = try LlamaConfig.load(contentsOf: directory.appendingPathComponent("config.json"))
    let (logits, greedy) = try logitsAndGreedy(reloaded, config: config, input: input, newTokens: expected.greedy.count)
    #expect(relativeError(logits, expected.logits) < 1e-4)
    #expect(greedy == expected.greedy)
}

@Test func mergedF32CheckpointIsWhatTransformersLoadedAndGivesItsLogits() throws {
    let reference = try AdapterReference.load()
    try checkMerge(adapter: "ours", dtype: .f32, maxShardBytes: 2_000_000_000, expected: reference.merged_f32, input: reference.input_ids)
    // The merged model computes what the adapter applied at load time computes.
    #expect(relativeError(reference.merged_f32.logits, reference.ours.logits) < 1e-4)
}

@Test func mergedBF16CheckpointShardsAndGivesTransformersLogits() throws {
    let reference = try AdapterReference.load()
    #expect(reference.merged_bf16.files?.contains("model.safetensors.index.json") == true)
    try checkMerge(adapter: "ours", dtype: .bf16, maxShardBytes: 100_000, expected: reference.merged_bf16, input: reference.input_ids)
}

@Test func qloraAdapterMergesIntoTheDequantizedNF4Base() throws {
    let reference = try AdapterReference.load()
    let roundTrip = FourBitRoundTrip.transform(type: .nf4, blockSize: 64, doubleQuant: true, skip: { _ in false })
    try checkMerge(adapter: "ours_qlora", dtype: .f32, maxShardBytes: 2_000_000_000, transform: roundTrip,
                   expected: reference.merged_qlora, input: reference.input_ids)
}
