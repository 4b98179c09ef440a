// Causal GQA attention backward on the CPU with sgemm, one (batch, KV head) per worker at a time,
// in causal blocks of queries: the softmax P is rebuilt from q, k and the forward's log-sum-exp
// (never stored), then dV, dP, dS = P·(dP − rowsum(dO·O)), dQ and dK over the visible keys only.
// Query heads sharing a KV head add into the same dK/dV rows, so they share a work item.
import CBLAS
import Compute
import Foundation

extension CPUBackend {
    public func attentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dOut: Tensor, q: Tensor, k: Tensor, v: Tensor,
                                  out: Tensor, logSumExp: Tensor, segmentIds: Tensor?, scale: Float) {
        profileBegin()
        defer { profileEnd("attention backward") }
        precondition(q.shape.rank == 4 && k.shape.rank == 4 && v.shape == k.shape && out.shape == q.shape
                     && dOut.shape == q.shape && dq.shape == q.shape && dk.shape == k.shape && dv.shape == k.shape,
                     "attention backward wants q/out/dOut/dq (B, T, NH, HD), k/v/dk/dv (B, T, KVH, HD); got q \(q.shape), k \(k.shape)")
        let (b, t, nh, hd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let kvh = k.shape[2]
        precondition(k.shape[0] == b && k.shape[1] == t && k.shape[3] == hd && nh % kvh == 0,
                     "attention backward k \(k.shape) does not fit q \(q.shape) (no KV cache in training)")
        precondition(logSumExp.count == b * nh * t, "logSumExp \(logSumExp.shape) for (B, NH, T) = (\(b), \(nh), \(t))")
        if let segmentIds { precondition(segmentIds.count == b * t, "segment ids \(segmentIds.shape) for (B, T) = (\(b), \(t))") }
        let group = nh / kvh
        let qp = f32(q), kp = f32(k), vp = f32(v), op = f32(out), gp = f32(dOut)
        let dqp = f32(dq), dkp = f32(dk), dvp = f32(dv), lse = f32(logSumExp)
        let seg = segmentIds.map { i32($0) }
        zero(dk)
        zero(dv)
        let block = Self.attentionBlock
        let perWorker = 2 * block * t + block                     // P (block, T), dP (block, T), D (block)
        let scratch = scratchFloats(perWorker * Parallel.workers, slot: "attention.backward")
        let (qRow, kvRow) = (Int32(nh * hd), Int32(kvh * hd))
        for first in stride(from: 0, to: t, by: block) {
            gemmFlops += 10 * Double(b * nh) * Double(min(block, t - first) * min(t, first + block) * hd)   // five products
        }
        // One (batch, KV head) per work item: the query heads sharing it add into its dK/dV rows alone.
        Parallel.forEachWorker(b * kvh, work: group * t * t * hd * 5) { worker, items in
            let probs = scratch + worker * perWorker
            let dProbs = probs + block * t, rowDots = probs + 2 * block * t
            for item in items {
                let batch = item / kvh, kvHead = item % kvh
                let segBase = seg.map { $0 + batch * t }
                let kh = kp + batch * t * kvh * hd + kvHead * hd, vh = vp + batch * t * kvh * hd + kvHead * hd
                let dkh = dkp + batch * t * kvh * hd + kvHead * hd, dvh = dvp + batch * t * kvh * hd + kvHead * hd
                for head in kvHead * group..<(kvHead + 1) * group {
                    let qh = qp + batch * t * nh * hd + head * hd, oh = op + batch * t * nh * hd + head * hd
                    let gh = gp + batch * t * nh * hd + head * hd, dqh = dqp + batch * t * nh * hd + head * hd
                    let lseh = lse + (batch * nh + head) * t
                    // Queries [first, first + rows) see keys [0, visible): the rest of P is zero.
                    for first in stride(from: 0, to: t, by: block) {
                        let rows = min(block, t - first), visible = first + rows
                        let qb = qh + first * nh * hd, gb = gh + first * nh * hd
                        // P = exp(scale·Q·Kᵀ − lse) on visible keys, 0 elsewhere.      (rows, visible)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(visible), Int32(hd), scale,
                                    qb, qRow, kh, kvRow, 0, probs, Int32(visible))
                        for r in 0..<rows {
                            let i = first + r, row = probs + r * visible
                            _ = expShifted(row, row, shift: lseh[i], i + 1)
                            if let segBase {
                                let own = segBase[i]
                                for j in 0...i where segBase[j] != own { row[j] = 0 }
                            }
                            if i + 1 < visible { (row + i + 1).update(repeating: 0, count: visible - i - 1) }
                            rowDots[r] = dot(gb + r * nh * hd, oh + i * nh * hd, hd)
                        }
                        // dV += Pᵀ·dO                                                  (visible, HD)
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(visible), Int32(hd), Int32(rows), 1,
                                    probs, Int32(visible), gb, qRow, 1, dvh, kvRow)
                        // dP = dO·Vᵀ                                                   (rows, visible)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(visible), Int32(hd), 1,
                                    gb, qRow, vh, kvRow, 0, dProbs, Int32(visible))
                        // dS = P·(dP − D), scaled by `scale` for the q·k product (0 where P is).
                        for r in 0..<rows {
                            let p = probs + r * visible, d = dProbs + r * visible
                            let dotLanes = Lanes(repeating: rowDots[r]), scaleLanes = Lanes(repeating: scale)
                            var j = 0
                            while j + 16 <= visible {
                                storeLanes(loadLanes(p + j) * (loadLanes(d + j) - dotLanes) * scaleLanes, d + j)
                                j += 16
                            }
                            while j < visible {
                                d[j] = p[j] * (d[j] - rowDots[r]) * scale
                                j += 1
                            }
                        }
                        // dQ = dS·K;  dK += dSᵀ·Q                                       (rows | visible, HD)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(visible), 1,
                                    dProbs, Int32(visible), kh, kvRow, 0, dqh + first * nh * hd, qRow)
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(visible), Int32(hd), Int32(rows), 1,
                                    dProbs, Int32(visible), qb, qRow, 1, dkh, kvRow)
                    }
                }
            }
        }
    }
}
