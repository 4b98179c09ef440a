// Cross-entropy fused with the LM head on the CPU, `chunkRows` tokens at a time: a (chunk × V)
// logits block in scratch → log-softmax → loss and dlogits → dHidden and dW by sgemm. The full
// (N × V) logits never exist; memory is chunk × V floats whatever N is.
import Compute
import Foundation

extension CPUBackend {
    public func crossEntropyLoss(hidden: Tensor, weight: Tensor, labels: Tensor, dHidden: Tensor?, dWeight: Tensor?,
                                 gradScale: Float, chunkRows: Int) -> (lossSum: Double, tokens: Int) {
        profileBegin()
        defer { profileEnd("cross-entropy (softmax, excl. matmuls)") }
        let (n, c) = (hidden.shape[0], hidden.shape[1])
        let vocab = weight.shape[0]
        precondition(hidden.shape.rank == 2 && weight.shape == Shape([vocab, c]) && labels.count == n,
                     "cross-entropy of hidden \(hidden.shape), head \(weight.shape), labels \(labels.shape)")
        precondition(dHidden.map { $0.shape == hidden.shape } ?? true && dWeight.map { $0.shape == weight.shape } ?? true,
                     "cross-entropy gradient shapes do not match hidden \(hidden.shape) / head \(weight.shape)")
        precondition(chunkRows > 0, "chunkRows must be positive")
        let ids = i32(labels)
        let chunk = min(chunkRows, max(n, 1))
        let logitsBuffer = scratchFloats(chunk * vocab + chunk, slot: "cross-entropy")  // logits (chunk, V), losses (chunk)
        let rowLoss = logitsBuffer + chunk * vocab
        let logitsStorage = namedScratch["cross-entropy"]!
        var lossSum = 0.0, tokens = 0
        for start in stride(from: 0, to: n, by: chunk) {
            let rows = min(chunk, n - start)
            var counted = 0
            for r in 0..<rows {
                let label = ids[start + r]
                precondition(label == ignoreLabel || (label >= 0 && Int(label) < vocab),
                             "label \(label) at row \(start + r) is outside the vocabulary (0..<\(vocab)) and is not -100")
                if label != ignoreLabel { counted += 1 }
            }
            let hiddenChunk = hidden.rows(start..<start + rows)
            if counted == 0 {
                if let dHidden { zero(dHidden.rows(start..<start + rows)) }
                continue
            }
            tokens += counted
            let logits = Tensor(storage: logitsStorage, shape: [rows, vocab], dtype: .f32)
            matmul(logits, hiddenChunk, weight, transposeA: false, transposeB: true, alpha: 1, beta: 0)
            Parallel.forEach(rows, work: vocab * 6) { range in
                for r in range {
                    let row = logitsBuffer + r * vocab
                    let label = ids[start + r]
                    guard label != ignoreLabel else {
                        row.update(repeating: 0, count: vocab)
                        rowLoss[r] = 0
                        continue
                    }
                    let maxValue = maximum(row, vocab)
                    let target = row[Int(label)] - maxValue
                    var sum: Double = 0   // V terms: f32 partial sums of 1024, added in Double, keep the normalizer exact to f32
                    for j in stride(from: 0, to: vocab, by: 1024) {
                        sum += Double(expShifted(row + j, row + j, shift: maxValue, min(1024, vocab - j)))
                    }
                    rowLoss[r] = Float(log(sum)) - target    // −log softmax[label]
                    scaleInPlace(row, Float(Double(gradScale) / sum), vocab)   // dlogits = scale·(softmax − onehot)
                    row[Int(label)] -= gradScale
                }
            }
            for r in 0..<rows { lossSum += Double(rowLoss[r]) }
            if let dHidden {
                matmul(dHidden.rows(start..<start + rows), logits, weight, transposeA: false, transposeB: false, alpha: 1, beta: 0)
            }
            if let dWeight {
                matmul(dWeight, logits, hiddenChunk, transposeA: true, transposeB: false, alpha: 1, beta: 1)
            }
        }
        return (lossSum, tokens)
    }
}
