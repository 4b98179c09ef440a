// Where weights come from: a checkpoint that hands out host tensors by name, in PyTorch
// layout (row-major, dims as torch shows them). Adapters for safetensors and GGUF conform.
import Basics
import Compute

/// A checkpoint's tensors by name.
///
/// Contract: `tensor(_:)` returns a host tensor (`HostBuffer` storage) in PyTorch order with
/// dtype f32, bf16 or f16 — quantized formats dequantize, GGUF reverses its dims. Q/K rows stay
/// as stored; `LlamaWeights` undoes GGUF's rope permutation itself.
public protocol WeightSource {
    /// The naming scheme of the tensors.
    var naming: WeightNaming { get }
    /// A short description for error messages (usually the file path).
    var sourceDescription: String { get }
    func contains(_ name: String) -> Bool
    func tensor(_ name: String) throws -> Tensor
}

/// Weights held in memory under HF or GGUF names — for synthetic models and tests.
public struct InMemoryWeights: WeightSource {
    public var naming: WeightNaming
    public var tensors: [String: Tensor]
    public var sourceDescription: String { "in-memory weights" }

    public init(naming: WeightNaming = .huggingFace, tensors: [String: Tensor] = [:]) {
        self.naming = naming
        self.tensors = tensors
    }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw RunnerError(sourceDescription, "no tensor named `\(name)`") }
        return t
    }
}
