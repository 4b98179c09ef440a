// The tensor types `export` offers and, per tensor, which GGML type a weight is stored as: the
// rules of llama.cpp's convert_hf_to_gguf (1-D tensors and norms stay F32; a row length that is
// not a whole number of quant blocks falls back to F16) plus llama-quantize's higher-precision output matrix.
import Quant

/// The `type` of an export: the GGML type of the model's matrices.
public enum GGUFExportType: String, Sendable, CaseIterable {
    case f32, f16, bf16, q8_0, q4_0

    /// The matrices' GGML type.
    public var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`: ALL_F32, MOSTLY_F16, MOSTLY_BF16, MOSTLY_Q8_0, MOSTLY_Q4_0).
    public var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .bf16: 32
        case .q8_0: 7
        case .q4_0: 2
        }
    }

    /// Why a tensor is stored in another type than `ggmlType` (for the export log).
    public enum Deviation: Equatable, Sendable {
        /// The row length is not a multiple of the quant block size (llama.cpp's converter falls back to F16 too).
        case rowsNotBlockAligned(rowLength: Int, blockSize: Int)
        /// The output projection (or the tied embedding that serves as one) keeps 8-bit precision
        /// under Q4_0: llama-quantize uses Q6_K there, which runner cannot write yet.
        case outputMatrixKeepsPrecision
    }

    /// The GGML type for a tensor of PyTorch `shape`, and why it deviates from `ggmlType` if it does.
    /// `isOutputMatrix`: `output.weight`, or `token_embd.weight` when the embeddings are tied.
    public func tensorType(shape: [Int], isOutputMatrix: Bool) -> (type: GGMLType, deviation: Deviation?) {
        guard shape.count >= 2 else { return (.f32, nil) }
        var type = ggmlType
        var deviation: Deviation?
        if self == .q4_0 && isOutputMatrix {
            type = .q8_0
            deviation = .outputMatrixKeepsPrecision
        }
        let rowLength = shape[shape.count - 1]
        if rowLength % type.blockSize != 0 {
            deviation = .rowsNotBlockAligned(rowLength: rowLength, blockSize: type.blockSize)
            type = .f16
        }
        return (type, deviation)
    }
}
