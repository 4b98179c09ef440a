// llama.cpp's converter reorders the rows of q_proj/k_proj inside each head so its rope can
// rotate adjacent pairs: HF row (head, half, i) is stored at GGUF row (head, i, half).
// Undoing that here makes a GGUF and its HF original the same model.
import Compute

enum GGUFRopePermutation {
    /// Returns a host tensor whose rows are in HF order. `weights`: (heads·HD, …) host tensor as
    /// stored in GGUF; `heads`: NH for q_proj, KVH for k_proj. Works for weights and biases.
    static func unpermute(_ weights: Tensor, heads: Int) -> Tensor {
        precondition(weights.isContiguous, "unpermute wants a contiguous tensor")
        let rows = weights.shape[0]
        let headDim = rows / heads, half = headDim / 2
        let rowBytes = weights.byteCount / rows
        let out = HostBuffer(byteCount: weights.byteCount)
        let src = weights.hostBuffer!.pointer + weights.byteOffset
        for head in 0..<heads {
            for part in 0..<2 {
                for i in 0..<half {
                    let hfRow = head * headDim + part * half + i
                    let ggufRow = head * headDim + 2 * i + part
                    (out.pointer + hfRow * rowBytes).copyMemory(from: src + ggufRow * rowBytes, byteCount: rowBytes)
                }
            }
        }
        return Tensor(storage: out, shape: weights.shape, dtype: weights.dtype)
    }
}
