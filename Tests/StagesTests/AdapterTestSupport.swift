// Shared by the adapter and merge tests: the tiny base, the fixtures tools/reference/adapter_fixtures.py
// wrote (PEFT's and transformers' logits), and a full-sequence forward + greedy loop as the script runs it.
import CPUBackend
import Foundation
import Models
import Testing

let stagesPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let tinyLlamaTied = stagesPackageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16")
let adapterFixtures = stagesPackageRoot.appendingPathComponent("Tests/StagesTests/Fixtures/adapters")

/// Tests/StagesTests/Fixtures/adapters/reference.json.
struct AdapterReference: Decodable {
    struct Case: Decodable {
        var logits: [Float]        // (T, V) row-major
        var greedy: [Int32]
        var digest: String?        // sha256 of runner's merged safetensors (+ index) that transformers loaded
        var files: [String]?
    }
    var input_ids: [Int32]
    var vocab: Int
    var peft_made: Case
    var ours: Case
    var merged_f32: Case
    var merged_bf16: Case
    var merged_qlora: Case

    static func load() throws -> AdapterReference {
        try JSONDecoder().decode(AdapterReference.self, from: Data(contentsOf: adapterFixtures.appendingPathComponent("reference.json")))
    }
}

func tinyConfig() throws -> LlamaConfig {
    try LlamaConfig.load(contentsOf: tinyLlamaTied.appendingPathComponent("config.json"))
}

/// Logits at every position of `input` and `newTokens` greedy tokens (argmax of a full forward each step).
func logitsAndGreedy(_ weights: some WeightSource, config: LlamaConfig, input: [Int32], newTokens: Int) throws -> (logits: [Float], greedy: [Int32]) {
    let backend = CPUBackend()
    let loaded = try LlamaWeights.load(from: weights, config: config, backend: backend)
    let model = try LlamaModel(config: config, weights: loaded, backend: backend, maxSequence: input.count + newTokens, logits: .allPositions)
    let logits = backend.readFloats(try model.forward(tokens: input))
    var tokens = input
    for _ in 0..<newTokens {
        model.resetCache()
        let all = backend.readFloats(try model.forward(tokens: tokens))
        let last = all[(tokens.count - 1) * config.vocabSize..<tokens.count * config.vocabSize]
        tokens.append(Int32(last.indices.max { last[$0] < last[$1] }! - (tokens.count - 1) * config.vocabSize))
    }
    return (logits, Array(tokens.dropFirst(input.count)))
}

/// Largest |a − b| relative to the largest |b| (logits of a tiny random model are O(1..10)).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    let scale = max(b.map(abs).max() ?? 1, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max()! / scale
}
