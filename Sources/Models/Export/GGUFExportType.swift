// The tensor types `export` offers and, per tensor, which GGML type a weight is stored as: the
// rules of llama.cpp's convert_hf_to_gguf (1-D tensors and norms stay F32; a row length that is
// not a whole number of quant blocks falls back to F16) and llama-quantize's per-tensor mix for
// the K-quant presets (llama_tensor_get_type: output matrix Q6_K, more bits on some attn_v /
// ffn_down layers, Q5_0 / Q5_1 / Q8_0 where rows are not whole 256-value super-blocks).
import Quant

/// The `type` of an export: the GGML type of the model's matrices, or a llama-quantize preset.
public enum GGUFExportType: String, Sendable, CaseIterable {
    case f32, f16, bf16, q8_0, q4_0
    case q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k

    /// The matrices' GGML type (the base type of a K-quant preset).
    public var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        case .q4_k_s, .q4_k_m: .q4_K
        case .q5_k_s, .q5_k_m: .q5_K
        case .q6_k: .q6_K
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32,
    /// MOSTLY_Q8_0 7, MOSTLY_Q4_0 2, MOSTLY_Q4_K_S 14, _Q4_K_M 15, _Q5_K_S 16, _Q5_K_M 17, _Q6_K 18).
    public var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .bf16: 32
        case .q8_0: 7
        case .q4_0: 2
        case .q4_k_s: 14
        case .q4_k_m: 15
        case .q5_k_s: 16
        case .q5_k_m: 17
        case .q6_k: 18
        }
    }

    /// Whether this is one of llama-quantize's K-quant presets.
    public var isKQuant: Bool { ggmlType.blockSize == Self.superBlock }

    /// Values per K-quant super-block.
    static let superBlock = 256

    /// Where a matrix sits in the model: what llama-quantize's per-tensor mix looks at.
    public enum MatrixRole: Equatable, Sendable {
        /// `output.weight`, or `token_embd.weight` when the embeddings are tied (it serves as the output).
        case output
        /// `token_embd.weight` of a model with its own output matrix.
        case tokenEmbedding
        /// `blk.<layer>.attn_v.weight` of a model with `layers` blocks.
        case attentionValue(layer: Int, layers: Int)
        /// `blk.<layer>.ffn_down.weight` of a model with `layers` blocks.
        case feedForwardDown(layer: Int, layers: Int)
        /// Any other matrix (attn_q/k/output, ffn_gate/up).
        case other
    }

    /// Why a tensor is stored in another type than the export's mix asks for (for the export log).
    public enum Deviation: Equatable, Sendable {
        /// The row length is not a multiple of the quant block size (llama.cpp's converter falls back to F16 too).
        case rowsNotBlockAligned(rowLength: Int, blockSize: Int)
        /// The output matrix would be Q6_K (as llama-quantize makes it) but its rows are not whole
        /// super-blocks: Q8_0, as llama-quantize does.
        case outputMatrixKeepsPrecision
        /// The row length is not a multiple of 256, so `wanted` (a K-quant) cannot hold it:
        /// llama-quantize's fallback (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0; F16 if that cannot either).
        case kQuantRowsNotSuperBlockAligned(rowLength: Int, wanted: GGMLType)
    }

    /// llama-quantize's `use_more_bits`: the first and last eighth of the layers, and every third between.
    public static func usesMoreBits(layer: Int, layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// The type llama-quantize's mix gives a matrix of `role` under this preset, before any fallback.
    public func mixType(for role: MatrixRole) -> GGMLType {
        switch (self, role) {
        case (.q4_0, .output): return .q6_K
        case (_, .output) where isKQuant: return .q6_K
        case (.q4_k_m, .attentionValue(let i, let n)), (.q4_k_m, .feedForwardDown(let i, let n)),
             (.q5_k_m, .attentionValue(let i, let n)), (.q5_k_m, .feedForwardDown(let i, let n)):
            return Self.usesMoreBits(layer: i, layers: n) ? .q6_K : ggmlType
        case (.q4_k_s, .attentionValue(let i, _)):
            return i < 4 ? .q5_K : ggmlType
        case (.q4_k_s, .feedForwardDown(let i, let n)):
            return i < n / 8 ? .q5_K : ggmlType
        default:
            return ggmlType
        }
    }

    /// The GGML type for a tensor of PyTorch `shape` in `role`, and why it deviates from the mix if it does.
    public func tensorType(shape: [Int], role: MatrixRole) -> (type: GGMLType, deviation: Deviation?) {
        guard shape.count >= 2 else { return (.f32, nil) }
        let rowLength = shape[shape.count - 1]
        let wanted = mixType(for: role)
        if wanted.blockSize == Self.superBlock && rowLength % Self.superBlock != 0 {
            if role == .output {
                if rowLength % GGMLType.q8_0.blockSize == 0 { return (.q8_0, .outputMatrixKeepsPrecision) }
                return (.f16, .rowsNotBlockAligned(rowLength: rowLength, blockSize: GGMLType.q8_0.blockSize))
            }
            let fallback: GGMLType = switch wanted {
            case .q4_K: .q5_0
            case .q5_K: .q5_1
            default: .q8_0
            }
            let type: GGMLType = rowLength % fallback.blockSize == 0 ? fallback : .f16
            return (type, .kQuantRowsNotSuperBlockAligned(rowLength: rowLength, wanted: wanted))
        }
        if rowLength % wanted.blockSize != 0 {
            return (.f16, .rowsNotBlockAligned(rowLength: rowLength, blockSize: wanted.blockSize))
        }
        return (wanted, nil)
    }
}
