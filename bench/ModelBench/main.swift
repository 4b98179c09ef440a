// SmolLM2 speed on the CPU backend: sgemm peak, prefill (512 tokens) and greedy decode tokens/s.
// Prints one JSON object; bench/smollm2_speed.py runs this and transformers and prints ratios.
// Usage: swift run -c release ModelBench [model.gguf] [--prompt 512] [--decode 64]
import CBLAS
import Compute
import CPUBackend
import Foundation
import Models

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best-of-`repeats` sgemm GFLOP/s for (m × k) · (k × n)ᵀ, the Linear-layer shape.
func sgemmGFLOPs(m: Int, n: Int, k: Int, repeats: Int = 5) -> Double {
    let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
    var c = [Float](repeating: 0, count: m * n)
    var best = Double.infinity
    for _ in 0..<repeats {
        best = min(best, seconds {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
        })
    }
    return 2 * Double(m * n * k) / best / 1e9
}

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    arguments.removeSubrange(i...i + 1)
    return v
}
let promptLength = option("--prompt", 512), decodeSteps = option("--decode", 64)
let path = arguments.first ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"

let backend = CPUBackend()
var model: LlamaModel!
let loadSeconds = try seconds {
    model = try LlamaModel.load(from: URL(fileURLWithPath: path), backend: backend,
                                maxSequence: promptLength + decodeSteps, maxStepTokens: promptLength)
}
let config = model.config
// The same deterministic prompt as bench/smollm2_speed.py.
let prompt = (0..<promptLength).map { Int32(($0 * 7919 + 13) % config.vocabSize) }

// Warm-up (page in weights, grow scratch), then measure.
try model.forward(tokens: Array(prompt.prefix(16)))
model.resetCache()
var logits: Tensor!
let prefillSeconds = try seconds { logits = try model.forward(tokens: prompt) }
var next = Sampler.argmax(backend.readFloats(logits))
let decodeSeconds = try seconds {
    for _ in 0..<decodeSteps {
        next = Sampler.argmax(backend.readFloats(try model.forward(tokens: [next])))
    }
}

let (c, h, qDim, kvDim) = (config.hiddenSize, config.intermediateSize, config.headCount * config.headDim, config.kvHeadCount * config.headDim)
let linearParameters = config.layerCount * (c * qDim * 2 + c * kvDim * 2 + 3 * c * h)
let prefillLinearGFLOP = 2 * Double(linearParameters) * Double(promptLength) / 1e9
let result: [String: Any] = [
    "backend": backend.name, "threads": backend.workers, "model": path,
    "load_s": loadSeconds,
    "prompt_tokens": promptLength, "decode_tokens": decodeSteps,
    "prefill_s": prefillSeconds, "prefill_tok_s": Double(promptLength) / prefillSeconds,
    "prefill_linear_gflops": prefillLinearGFLOP / prefillSeconds,
    "decode_s": decodeSeconds, "decode_tok_s": Double(decodeSteps) / decodeSeconds,
    "sgemm_peak_gflops_2048": sgemmGFLOPs(m: 2048, n: 2048, k: 2048, repeats: 3),
    "sgemm_gflops_mlp_shape": sgemmGFLOPs(m: promptLength, n: h, k: c),
    "last_token": Int(next),
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
