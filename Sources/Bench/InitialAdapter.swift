// The LoRA adapter every side of a cell starts from: runner's own deterministic init (kaiming-uniform
// A from the suite seed, B = 0) written in PEFT's names, so the reference side loads exactly the same
// weights and both sides' losses can be compared step by step.
import Basics
import Compute
import CPUBackend
import Formats
import Foundation
import Models

enum InitialAdapter {
    /// Builds the adapter of `spec` (the smallest arena: one 2-token row) and writes it to `url`.
    static func write(_ spec: CellSpec, to url: URL) throws {
        let backend = CPUBackend()
        let (config, source) = try BenchModel.open(spec.model)
        let weights = try LlamaWeights.load(from: source, config: config, backend: backend)
        let model = try TrainableModel(config: config, weights: weights, backend: backend, mode: .lora(RunnerCell.loraConfig(spec)),
                                       maxBatch: 1, maxSequence: 2)
        let tensors = model.exportAdapter().sorted { $0.key < $1.key }.map { name, tensor in
            SafetensorsTensor(name: name, shape: tensor.shape.dims, floats: backend.readFloats(tensor))
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
    }

    /// Every tensor of an adapter file written by `write`, as host tensors.
    static func read(_ url: URL) throws -> [String: Tensor] {
        let checkpoint = try SafetensorsCheckpoint(at: url)
        var out: [String: Tensor] = [:]
        for name in checkpoint.tensorNames {
            let (_, info) = try checkpoint.requireTensor(name)
            out[name] = Tensor.host(try checkpoint.floats(name), shape: Shape(info.shape))
        }
        return out
    }
}
