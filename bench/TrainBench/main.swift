// Training-step speed on the CPU backend: SmolLM2 forward+backward tokens/s with LoRA on every
// linear layer, and the forward alone, so the report can say where the time goes.
// Usage: swift run -c release TrainBench [model.gguf] [--batch 4] [--seq 256] [--rank 16] [--steps 3] [--no-checkpointing]
import Compute
import CPUBackend
import Formats
import Foundation
import Models

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    arguments.removeSubrange(i...i + 1)
    return v
}
let (batch, sequence, rank, steps) = (option("--batch", 4), option("--seq", 256), option("--rank", 16), option("--steps", 3))
let checkpointing = !arguments.contains("--no-checkpointing")
arguments.removeAll { $0 == "--no-checkpointing" }
let path = arguments.first ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"

let backend = CPUBackend()
let source = try GGUFWeights(contentsOf: URL(fileURLWithPath: path))
let config = try LlamaConfig.fromGGUF(source.file)
let weights = try LlamaWeights.load(from: source, config: config, backend: backend)
let model = try TrainableModel(config: config, weights: weights, backend: backend,
                               mode: .lora(LoraConfig(rank: rank, alpha: 2 * Float(rank), targets: .allLinear)),
                               maxBatch: batch, maxSequence: sequence, gradientCheckpointing: checkpointing)
var rng = SystemRandomNumberGenerator()
let tokens = (0..<batch * sequence).map { _ in Int32.random(in: 0..<Int32(config.vocabSize), using: &rng) }
let trainingBatch = TrainingBatch(tokens: tokens, labels: tokens, batchSize: batch)

_ = try model.forwardBackward(trainingBatch)   // warm-up: scratch growth, page faults
var best = Double.infinity, bestForward = Double.infinity
for step in 0..<steps {
    best = min(best, try seconds { _ = try model.forwardBackward(trainingBatch, step: step) })
    bestForward = min(bestForward, try seconds { _ = try model.loss(trainingBatch) })
}
let n = Double(batch * sequence)
let result: [String: Any] = [
    "model": (path as NSString).lastPathComponent, "batch": batch, "sequence": sequence, "lora_rank": rank,
    "checkpointing": checkpointing, "trainable_parameters": model.trainableParameterCount,
    "arena_mib": Double(model.arenaBytes) / 1_048_576,
    "forward_backward_seconds": best, "train_tokens_per_second": n / best,
    "forward_seconds": bestForward, "forward_tokens_per_second": n / bestForward,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
