// WeightSource adapters for the two checkpoint formats runner reads: safetensors (HF naming,
// zero-copy views of the mapped file) and GGUF (llama.cpp naming, dequantized to f32).
import Basics
import Compute
import Formats
import Foundation
import Quant

/// Tensors of a safetensors checkpoint (single file or sharded), as zero-copy host views.
public struct SafetensorsWeights: WeightSource {
    public let checkpoint: SafetensorsCheckpoint
    public var naming: WeightNaming { .huggingFace }
    public let sourceDescription: String

    /// Opens a checkpoint directory, index file or `.safetensors` file.
    public init(at url: URL) throws {
        checkpoint = try SafetensorsCheckpoint(at: url)
        sourceDescription = url.path
    }

    public func contains(_ name: String) -> Bool { checkpoint.tensor(named: name) != nil }

    public func tensor(_ name: String) throws -> Tensor {
        let (file, info) = try checkpoint.requireTensor(name)
        guard let dtype = info.dtype.computeDType else {
            throw RunnerError(file.fileName, "tensor `\(name)` has dtype \(info.dtype.rawValue), which has no compute type")
        }
        let bytes = file.bytes(of: info)
        // The view keeps the mapped file alive; nothing is copied until a backend converts it.
        let storage = HostBuffer(wrapping: UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!),
                                 byteCount: bytes.count, readOnly: true) { _, _ in withExtendedLifetime(file) {} }
        return Tensor(storage: storage, shape: Shape(info.shape), dtype: dtype)
    }
}

/// Tensors of a GGUF file under llama.cpp names. Quantized blocks dequantize to f32; dims are
/// reversed to PyTorch order. Q/K rows stay permuted (LlamaWeights undoes that).
public struct GGUFWeights: WeightSource {
    public let file: GGUFFile
    public var naming: WeightNaming { .gguf }
    public var sourceDescription: String { file.fileName }

    public init(file: GGUFFile) { self.file = file }

    public init(contentsOf url: URL) throws { file = try GGUFFile(contentsOf: url) }

    public func contains(_ name: String) -> Bool { file.tensor(named: name) != nil }

    public func tensor(_ name: String) throws -> Tensor {
        let info = try file.requireTensor(name)
        let shape = Shape(info.shape)
        let values = try file.dequantize(info)
        return Tensor.host(values, shape: shape)
    }
}

extension LlamaConfig {
    /// Reads the hyperparameters from GGUF metadata (`general.architecture` and its `<arch>.*` keys),
    /// as transformers does when it loads a GGUF. Throws naming the missing or bad key.
    public static func fromGGUF(_ file: GGUFFile) throws -> LlamaConfig {
        let meta = file.metadata
        let archName = try meta.string("general.architecture")
        guard let architecture = Architecture(rawValue: archName) else {
            throw RunnerError("\(file.fileName): general.architecture", "`\(archName)` is not supported",
                              hint: "supported: \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let a = archName
        if file.tensor(named: "rope_freqs.weight") != nil {
            throw RunnerError(file.fileName, "stores llama3 rope frequencies as `rope_freqs.weight`, which is not supported yet",
                              hint: "load the Hugging Face checkpoint instead")
        }
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
            throw RunnerError(file.fileName, "missing tensor `token_embd.weight`")
        }
        let headCount = try meta.int("\(a).attention.head_count")
        let hidden = try meta.int("\(a).embedding_length")
        var rope = RopeConfig(theta: Float(try meta.doubleIfPresent("\(a).rope.freq_base") ?? 10_000))
        if let type = try meta.stringIfPresent("\(a).rope.scaling.type"), type != "none" {
            guard type == "linear" else {
                throw RunnerError("\(file.fileName): \(a).rope.scaling.type", "`\(type)` is not supported", hint: "supported: none, linear")
            }
            rope.scaling = .linear(factor: Float(try meta.double("\(a).rope.scaling.factor")))
        }
        let config = LlamaConfig(
            architecture: architecture,
            vocabSize: try meta.intIfPresent("\(a).vocab_size") ?? embedding.shape[0],
            hiddenSize: hidden,
            intermediateSize: try meta.int("\(a).feed_forward_length"),
            layerCount: try meta.int("\(a).block_count"),
            headCount: headCount,
            kvHeadCount: try meta.intIfPresent("\(a).attention.head_count_kv") ?? headCount,
            headDim: try meta.intIfPresent("\(a).attention.key_length") ?? hidden / max(headCount, 1),
            rmsNormEps: Float(try meta.double("\(a).attention.layer_norm_rms_epsilon")),
            rope: rope,
            maxPositionEmbeddings: try meta.intIfPresent("\(a).context_length") ?? 2048,
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
            qkvBias: file.tensor(named: "blk.0.attn_q.bias") != nil,
            outputBias: file.tensor(named: "blk.0.attn_output.bias") != nil,
            mlpBias: file.tensor(named: "blk.0.ffn_up.bias") != nil,
            bosTokenId: try meta.intIfPresent("tokenizer.ggml.bos_token_id").map(Int32.init),
            eosTokenIds: try meta.intIfPresent("tokenizer.ggml.eos_token_id").map { [Int32($0)] } ?? [])
        try config.validate(source: file.fileName)
        return config
    }
}
