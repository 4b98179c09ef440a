// One tensor's entry in a GGUF file: name, ggml type, dimensions (ggml order, fastest first) and
// where its bytes are. Sizes here are already validated by the reader.
import Quant

/// A validated GGUF tensor descriptor.
public struct GGUFTensorInfo: Sendable, Hashable {
    public let name: String
    public let type: GGMLType
    /// Dimensions in GGUF/ggml order: `dimensions[0]` (ne[0]) is the fastest-varying one.
    public let dimensions: [Int]
    /// Byte offset of the data relative to the start of the data section.
    public let relativeOffset: Int
    /// Byte offset of the data from the start of the file.
    public let fileOffset: Int
    /// Number of values (product of the dimensions).
    public let elementCount: Int
    /// Bytes of tensor data (`elementCount / type.blockSize * type.typeSize`).
    public let byteCount: Int

    /// The shape as PyTorch/safetensors write it: the GGUF dimensions reversed (slowest first).
    /// A Llama `attn_q.weight` with dimensions [576, 576] has shape [out, in] = [576, 576];
    /// `token_embd.weight` with dimensions [576, 49152] has shape [49152, 576].
    public var shape: [Int] { dimensions.reversed() }
}
