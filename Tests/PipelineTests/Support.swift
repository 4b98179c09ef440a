// PipelineTests support: scratch directories and hand-built CompiledRecipes (the Recipe compiler
// is tested elsewhere; here recipes are data).
import Foundation
import Pipeline
import PipelineTestStages
import Recipe
import RunnerTestSupport

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct Scratch: ScratchDirectory {
    let root: URL

    init(_ name: String = #function) { root = Self.makeRoot(prefix: "runner-pipeline", name: name) }

    var store: ArtifactStore { ArtifactStore(root: url(".runner")) }
    var trace: ExecutionTrace { ExecutionTrace(url("trace.txt")) }
}

/// The fine-tuning pipeline as a hand-built recipe with the built-in kinds:
/// base(load model.gguf) → quant → lora → train ← data(dataset data/faq.json); train → save.
func fineTuneRecipe(in scratch: Scratch, rank: Int64 = 16, savePath: String? = "out/adapter") -> CompiledRecipe {
    let stages = [
        StageInstance(name: "base", kind: "load", params: ["dtype": .string("f32")], inputFiles: ["path": scratch.url("model.gguf")]),
        StageInstance(name: "quant", kind: "quantize", params: ["method": .string("nf4"), "block_size": .int(64)], inputs: ["from": "base"]),
        StageInstance(name: "lora", kind: "lora", params: ["r": .int(rank), "alpha": .double(32), "seed": .int(42)], inputs: ["from": "quant"]),
        StageInstance(name: "data", kind: "dataset", params: ["format": .string("chatml")], inputFiles: ["path": scratch.url("data/faq.json")]),
        StageInstance(name: "train", kind: "train", params: ["steps": .int(10), "optimizer": .map(["lr": .double(2e-4)])],
                      inputs: ["model": "lora", "data": "data"]),
        StageInstance(name: "save", kind: "save", params: [:], inputs: ["from": "train"],
                      outputPath: savePath.map { scratch.url($0) }),
    ]
    return CompiledRecipe(name: "finetune", version: 1, seed: 42, file: scratch.url("recipe.yaml"), projectDirectory: scratch.root,
                          stages: stages, resolved: .map(["name": .string("finetune"), "lora_r": .int(rank)]))
}

/// Writes the model and dataset files `fineTuneRecipe` reads.
func writeFineTuneInputs(_ scratch: Scratch) {
    scratch.write("model.gguf", String(repeating: "GGUF weights ", count: 1000))
    scratch.write("data/faq.json", #"[{"q": "what is runner?", "a": "a fine-tuning tool"}]"#)
}

/// A recipe of test kinds: `a` (concat text) → `b` (slow) → `c` (concat), c materialized at out/c.txt.
func spineRecipe(in scratch: Scratch, text: String = "hello", steps: Int64 = 3, extra: [StageInstance] = []) -> CompiledRecipe {
    let stages = [
        StageInstance(name: "a", kind: "concat", params: ["text": .string(text)]),
        StageInstance(name: "b", kind: "slow", params: ["steps": .int(steps), "step_ms": .int(1), "text": .string("b")], inputs: ["from": "a"]),
        StageInstance(name: "c", kind: "concat", params: ["text": .string("!")], inputs: ["from": "b"], outputPath: scratch.url("out/c.txt")),
    ] + extra
    return CompiledRecipe(name: "spine", version: 1, seed: 1, file: scratch.url("spine.yaml"), projectDirectory: scratch.root,
                          stages: stages, resolved: .map(["name": .string("spine")]))
}

/// Collects events (thread-safe) for assertions.
final class EventLog: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ExecutionEvent] = []

    func handle(_ event: ExecutionEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [ExecutionEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
