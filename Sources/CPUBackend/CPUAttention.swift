// Causal grouped-query attention on the CPU: scores = q·kᵀ·scale over visible keys, softmax,
// weighted sum of values, f32 throughout. Many queries (prefill, training) go through sgemm per
// head in causal blocks; a few (decode) go row by row.
import CBLAS
import Compute
import Foundation

extension CPUBackend {
    public func attentionForward(_ out: Tensor, logSumExp: Tensor?, q: Tensor, k: Tensor, v: Tensor,
                                 pastLength: Int, segmentIds: Tensor?, scale: Float) {
        profileBegin()
        defer { profileEnd("attention forward") }
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
    /// Queries per causal block: a block multiplies only the keys its last query can see.
    static let attentionBlock = 64

    /// The same attention by sgemm, one (batch, head) per worker at a time, in blocks of
    /// `attentionBlock` queries: S = Q·Kᵀ over the keys the block's last query sees (the masked upper
    /// triangle beyond them is never computed), masked row softmax, O = P·V.
    func attentionByGEMM(_ out: Tensor, logSumExp: Tensor?, q: Tensor, k: Tensor, v: Tensor,
                         pastLength: Int, segmentIds: Tensor?, scale: Float) {
        let (b, t, nh, hd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (s, kvh) = (k.shape[1], k.shape[2])
        let group = nh / kvh, keys = pastLength + t
        let qp = f32(q), kp = f32(k), vp = f32(v), op = f32(out)
        let lse = logSumExp.map { f32($0) }
        let seg = segmentIds.map { i32($0) }
        let block = Self.attentionBlock
        let scores = workerScratch(floatsPerWorker: block * keys)  // per worker: (block, keys)
        for first in stride(from: 0, to: t, by: block) {
            let visible = pastLength + min(t, first + block)
            gemmFlops += 4 * Double(b * nh) * Double(min(block, t - first) * visible * hd)   // Q·Kᵀ and P·V
        }
        Parallel.forEachWorker(b * nh, work: t * keys * hd) { worker, items in
            let rowsBuffer = scores + worker * block * keys
            for item in items {
                let batch = item / nh, head = item % nh, kvHead = head / group
                let qh = qp + batch * t * nh * hd + head * hd             // rows stride NH·HD
                let kh = kp + batch * s * kvh * hd + kvHead * hd          // rows stride KVH·HD
                let vh = vp + batch * s * kvh * hd + kvHead * hd
                let oh = op + batch * t * nh * hd + head * hd
                let segBase = seg.map { $0 + batch * s }
                for first in stride(from: 0, to: t, by: block) {
                    let rows = min(block, t - first), visible = pastLength + first + rows   // (rows, visible)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(visible), Int32(hd), scale,
                                qh + first * nh * hd, Int32(nh * hd), kh, Int32(kvh * hd), 0, rowsBuffer, Int32(visible))
                    for r in 0..<rows {
                        let row = rowsBuffer + r * visible, queryIndex = pastLength + first + r
                        let seen = queryIndex + 1
                        if let segBase {
                            let own = segBase[queryIndex]
                            for j in 0..<seen where segBase[j] != own { row[j] = -.infinity }
                        }
                        let maxScore = maximum(row, seen)
                        let sum = expShifted(row, row, shift: maxScore, seen)
                        scaleInPlace(row, 1 / sum, seen)
                        if seen < visible { (row + seen).update(repeating: 0, count: visible - seen) }
                        lse?[(batch * nh + head) * t + first + r] = maxScore + logf(sum)
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(visible), 1,
                                rowsBuffer, Int32(visible), vh, Int32(kvh * hd), 0, oh + first * nh * hd, Int32(nh * hd))
                }
            }
        }
    }
}
