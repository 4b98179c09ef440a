// Training-step speed on the CPU backend: SmolLM2 forward+backward tokens/s with LoRA on every
// linear layer (optionally over an NF4 base, optionally with bf16 matmuls), the GEMM work a step
// issues, and the machine's GEMM peak measured in the same process, so the report can say how
// close a step comes to it. Prints one JSON line (bench/train/run.sh compares it with PEFT).
// Usage: swift run -c release TrainBench [model.gguf] [--batch 4] [--seq 256] [--rank 16] [--steps 3]
//        [--warmup 1] [--checkpointing layer|selective|off] [--no-checkpointing] [--nf4] [--bf16] [--forward] [--profile]
// --profile prints a per-op wall-time table of the timed steps to stderr (CPUBackend.profile).
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
func flag(_ name: String) -> Bool {
    defer { arguments.removeAll { $0 == name } }
    return arguments.contains(name)
}
let (batch, sequence, rank) = (option("--batch", 4), option("--seq", 256), option("--rank", 16))
let (steps, warmup) = (option("--steps", 3), option("--warmup", 1))
func choice(_ name: String, _ fallback: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    defer { arguments.removeSubrange(i...i + 1) }
    return arguments[i + 1]
}
let policyName = choice("--checkpointing", "layer")
guard let policy = ActivationCheckpointing(rawValue: flag("--no-checkpointing") ? "off" : policyName) else {
    FileHandle.standardError.write(Data("TrainBench: --checkpointing takes layer, selective or off, not `\(policyName)`\n".utf8))
    exit(2)
}
let (nf4, bf16, timeForward, profiling) = (flag("--nf4"), flag("--bf16"), flag("--forward"), flag("--profile"))
let path = arguments.first ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"

let backend = try CPUBackend(matmulPrecision: bf16 ? .bf16 : .f32)
let peak = GEMMPeak.measure(backend: backend)

/// Loads the model inside a function so that the GGUF file is unmapped before training starts. With
/// an NF4 base each Linear is quantized as it is read (as the train stage reads a quantized base):
/// the dense f32 model never exists; with --bf16 the embedding/LM head is stored bf16.
func makeModel() throws -> TrainableModel {
    let source = try GGUFWeights(contentsOf: URL(fileURLWithPath: path))
    let config = try LlamaConfig.fromGGUF(source.file)
    let dense: DType = bf16 ? .bf16 : .f32
    let quantized = nf4 ? try FourBitBase.load(from: source, config: config, backend: backend, denseDType: dense) : nil
    let weights = try quantized?.weights ?? LlamaWeights.load(from: source, config: config, backend: backend, dtype: dense)
    return try TrainableModel(config: config, weights: weights, backend: backend,
                              mode: .lora(LoraConfig(rank: rank, alpha: 2 * Float(rank), targets: .allLinear)),
                              maxBatch: batch, maxSequence: sequence, checkpointing: policy,
                              quantizedBase: quantized?.quantized ?? [:], dequantizedType: dense)
}
let model = try makeModel()
var rng = SystemRandomNumberGenerator()
let tokens = (0..<batch * sequence).map { _ in Int32.random(in: 0..<Int32(model.config.vocabSize), using: &rng) }
let trainingBatch = TrainingBatch(tokens: tokens, labels: tokens, batchSize: batch)

for _ in 0..<max(warmup, 1) { _ = try model.forwardBackward(trainingBatch) }   // scratch growth, page faults, oneDNN JIT
if profiling { backend.profile = OpProfile() }
var stepSeconds: [Double] = [], stepCPUSeconds: [Double] = [], forwardSeconds: [Double] = []
var stepFlops = 0.0
for step in 0..<steps {
    let before = backend.gemmFlops
    let cpuStart = OpProfile.processCPUNanoseconds()
    stepSeconds.append(try seconds { _ = try model.forwardBackward(trainingBatch, step: step) })
    stepCPUSeconds.append(Double(OpProfile.processCPUNanoseconds() - cpuStart) / 1e9)
    stepFlops = backend.gemmFlops - before
    if timeForward { forwardSeconds.append(try seconds { _ = try model.loss(trainingBatch) }) }
}
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
}
if let profile = backend.profile {
    FileHandle.standardError.write(Data((profile.table(steps: steps, stepSeconds: stepSeconds.reduce(0, +) / Double(steps),
                                                       stepCPUSeconds: stepCPUSeconds.reduce(0, +) / Double(steps)) + "\n").utf8))
}
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let n = Double(batch * sequence), stepMedian = median(stepSeconds)
let gemmRate = stepFlops / stepMedian / 1e9
var result: [String: Any] = [
    "side": "runner" + (nf4 ? "-nf4" : "") + (bf16 ? "-bf16" : "-f32"),
    "model": (path as NSString).lastPathComponent, "batch": batch, "sequence": sequence, "lora_rank": rank,
    "checkpointing": policy.rawValue, "saved_activation_mib": Double(model.savedActivationBytes) / 1_048_576,
    "trainable_parameters": model.trainableParameterCount,
    "arena_mib": Double(model.arenaBytes) / 1_048_576, "threads": backend.workers,
    "step_seconds": stepSeconds, "tokens_per_second": n / stepMedian,
    // CPU time of all threads per step: robust to other processes' load, unlike wall time.
    "step_cpu_seconds": stepCPUSeconds, "tokens_per_cpu_second": n / median(stepCPUSeconds),
    "step_gemm_gflop": stepFlops / 1e9, "step_gemm_gflops_per_second": gemmRate,
    "peak_sgemm_gflops_per_second": peak.f32, "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
]
if let kernel = backend.bf16Kernel { result["bf16_kernel"] = kernel }
if let bf16Peak = peak.bf16 { result["peak_bf16_gflops_per_second"] = bf16Peak }
result["fraction_of_gemm_peak"] = gemmRate / (bf16 ? peak.bf16 ?? peak.f32 : peak.f32)
if timeForward { result["forward_tokens_per_second"] = n / median(forwardSeconds) }
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
