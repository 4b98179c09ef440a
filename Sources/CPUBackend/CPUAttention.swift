// Causal grouped-query attention on the CPU, one (batch, head, query) row at a time:
// scores = q·kᵀ·scale over visible keys, softmax, weighted sum of values. f32 throughout.
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
