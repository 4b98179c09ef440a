// llama.cpp's converter reorders the rows of q_proj/k_proj (and their biases) inside each head so
// that its rope rotates adjacent pairs: HF row (head, half, i) goes to GGUF row (head, i, half).
// The inverse of GGUFRopePermutation.unpermute, which the loader applies.

enum GGUFRopeOrder {
    /// `values`: a row-major (heads·HD, rowLength) matrix, or a bias (rowLength 1), in HF row order.
    /// Returns the rows in GGUF order.
    static func permute(_ values: [Float], heads: Int, rowLength: Int) -> [Float] {
        let rows = values.count / rowLength
        let headDim = rows / heads, half = headDim / 2
        precondition(rows * rowLength == values.count && headDim * heads == rows && half * 2 == headDim,
                     "rope permutation of \(rows) rows over \(heads) heads")
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for head in 0..<heads {
                    for part in 0..<2 {
                        for i in 0..<half {
                            let hfRow = head * headDim + part * half + i
                            let ggufRow = head * headDim + 2 * i + part
                            for c in 0..<rowLength { dst[ggufRow * rowLength + c] = src[hfRow * rowLength + c] }
                        }
                    }
                }
            }
        }
        return out
    }
}
