// Causal grouped-query attention on the CPU: scores = q·kᵀ·scale over visible keys, softmax,
// weighted sum of values, f32 throughout. Many queries (prefill) go through sgemm per head;
// a few (decode) go row by row.
import CBLAS
import Compute
import Foundation

extension CPUBackend {
    public func attentionForward(_ out: Tensor, logSumExp: Tensor?, q: Tensor, k: Tensor, v: Tensor,
                                 pastLength: Int, segmentIds: Tensor?, scale: Float) {
        precondition(q.shape.rank == 4 && k.shape.rank == 4 && v.shape == k.shape && out.shape == q.shape,
                     "attention wants q (B, T, NH, HD), k/v (B, S, KVH, HD); got q \(q.shape), k \(k.shape), v \(v.shape)")
        let (b, t, nh, hd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (s, kvh) = (k.shape[1], k.shape[2])
        precondition(k.shape[0] == b && k.shape[3] == hd && kvh > 0 && nh % kvh == 0, "attention k \(k.shape) does not fit q \(q.shape)")
        precondition(pastLength >= 0 && pastLength + t <= s, "attention over \(pastLength) + \(t) keys but k holds \(s)")
        if let segmentIds { precondition(segmentIds.count == b * s, "segment ids \(segmentIds.shape) for (B, S) = (\(b), \(s))") }
        let group = nh / kvh
        let keys = pastLength + t
        if t >= 16 {
            attentionByGEMM(out, logSumExp: logSumExp, q: q, k: k, v: v, pastLength: pastLength, segmentIds: segmentIds, scale: scale)
            return
        }
        let qp = f32(q), kp = f32(k), vp = f32(v), op = f32(out)
        let lse = logSumExp.map { f32($0) }
        let seg = segmentIds.map { i32($0) }
        let scores = workerScratch(floatsPerWorker: keys)
        // One work item per (batch, head, query); each reads keys up to its own position.
        Parallel.forEachWorker(b * nh * t, work: keys * hd * 2) { worker, items in
            let row = scores + worker * keys
            for item in items {
                let i = item % t, head = (item / t) % nh, batch = item / (t * nh)
                let kvHead = head / group
                let queryIndex = pastLength + i
                let qv = qp + ((batch * t + i) * nh + head) * hd
                let ov = op + ((batch * t + i) * nh + head) * hd
                let segBase = seg.map { $0 + batch * s }
                let ownSegment = segBase?[queryIndex]
                var maxScore = -Float.infinity
                for j in 0...queryIndex {
                    if let segBase, segBase[j] != ownSegment {
                        row[j] = -.infinity
                        continue
                    }
                    let kv = kp + ((batch * s + j) * kvh + kvHead) * hd
                    let score = dot(qv, kv, hd) * scale
                    row[j] = score
                    maxScore = max(maxScore, score)
                }
                var sum: Float = 0
                for j in 0...queryIndex {
                    let e = row[j] == -.infinity ? 0 : expf(row[j] - maxScore)
                    row[j] = e
                    sum += e
                }
                ov.update(repeating: 0, count: hd)
                let inverse = 1 / sum
                for j in 0...queryIndex where row[j] != 0 {
                    axpy(row[j] * inverse, vp + ((batch * s + j) * kvh + kvHead) * hd, ov, hd)
                }
                lse?[(batch * nh + head) * t + i] = maxScore + logf(sum)
            }
        }
    }
}

extension CPUBackend {
    /// The same attention, per (batch, head): S = Q·Kᵀ (T × keys) by sgemm, masked row softmax,
    /// O = P·V by sgemm. Computes the masked upper triangle too, which sgemm makes cheaper than skipping.
    func attentionByGEMM(_ out: Tensor, logSumExp: Tensor?, q: Tensor, k: Tensor, v: Tensor,
                         pastLength: Int, segmentIds: Tensor?, scale: Float) {
        let (b, t, nh, hd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (s, kvh) = (k.shape[1], k.shape[2])
        let group = nh / kvh, keys = pastLength + t
        let qp = f32(q), kp = f32(k), vp = f32(v), op = f32(out)
        let lse = logSumExp.map { f32($0) }
        let seg = segmentIds.map { i32($0) }
        let scores = scratchFloats(t * keys)  // (T, keys)
        gemmFlops += 4 * Double(b * nh) * Double(t * keys * hd)   // Q·Kᵀ and P·V per (batch, head)
        for batch in 0..<b {
            for head in 0..<nh {
                let kvHead = head / group
                let qh = qp + batch * t * nh * hd + head * hd             // rows stride NH·HD
                let kh = kp + batch * s * kvh * hd + kvHead * hd          // rows stride KVH·HD
                let vh = vp + batch * s * kvh * hd + kvHead * hd
                let oh = op + batch * t * nh * hd + head * hd
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(keys), Int32(hd), scale,
                            qh, Int32(nh * hd), kh, Int32(kvh * hd), 0, scores, Int32(keys))
                let segBase = seg.map { $0 + batch * s }
                Parallel.forEach(t, work: keys * 8) { rows in
                    for i in rows {
                        let row = scores + i * keys, queryIndex = pastLength + i
                        let ownSegment = segBase?[queryIndex]
                        var maxScore = -Float.infinity
                        for j in 0...queryIndex {
                            if let segBase, segBase[j] != ownSegment { row[j] = -.infinity } else { maxScore = max(maxScore, row[j]) }
                        }
                        var sum: Float = 0
                        for j in 0...queryIndex {
                            let e = row[j] == -.infinity ? 0 : expf(row[j] - maxScore)
                            row[j] = e
                            sum += e
                        }
                        scaleInPlace(row, 1 / sum, queryIndex + 1)
                        if queryIndex + 1 < keys { (row + queryIndex + 1).update(repeating: 0, count: keys - queryIndex - 1) }
                        lse?[(batch * nh + head) * t + i] = maxScore + logf(sum)
                    }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hd), Int32(keys), 1,
                            scores, Int32(keys), vh, Int32(kvh * hd), 0, oh, Int32(nh * hd))
            }
        }
    }
}
