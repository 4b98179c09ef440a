// Causal GQA attention backward on the CPU, per (batch, head) with sgemm: the softmax P is rebuilt
// from q, k and the forward's log-sum-exp (never stored), then dV, dP, dS = P·(dP − rowsum(dO·O)),
// dQ and dK. Query heads sharing a KV head add into the same dK/dV rows.
import CBLAS
import Compute
import Foundation

extension CPUBackend {
    public func attentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dOut: Tensor, q: Tensor, k: Tensor, v: Tensor,
                                  out: Tensor, logSumExp: Tensor, segmentIds: Tensor?, scale: Float) {
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
        let probs = scratchFloats(2 * t * t + t, slot: "attention.backward")  // P (T, T), dP (T, T), D (T)
        let dProbs = probs + t * t, rowDots = probs + 2 * t * t
        let (qRow, kvRow) = (Int32(nh * hd), Int32(kvh * hd))
        gemmFlops += 10 * Double(b * nh) * Double(t * t * hd)     // five (T, T, HD) products per (batch, head)
        for batch in 0..<b {
            let segBase = seg.map { $0 + batch * t }
            for head in 0..<nh {
                let kvHead = head / group
                let qh = qp + batch * t * nh * hd + head * hd, oh = op + batch * t * nh * hd + head * hd
                let gh = gp + batch * t * nh * hd + head * hd, dqh = dqp + batch * t * nh * hd + head * hd
                let kh = kp + batch * t * kvh * hd + kvHead * hd, vh = vp + batch * t * kvh * hd + kvHead * hd
                let dkh = dkp + batch * t * kvh * hd + kvHead * hd, dvh = dvp + batch * t * kvh * hd + kvHead * hd
                let lseh = lse + (batch * nh + head) * t
                // P = exp(scale·Q·Kᵀ − lse) on visible keys, 0 elsewhere.      (T, T)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hd), scale,
                            qh, qRow, kh, kvRow, 0, probs, Int32(t))
                Parallel.forEach(t, work: t * 8) { rows in
                    for i in rows {
                        let row = probs + i * t
                        let own = segBase?[i]
                        for j in 0...i {
                            row[j] = (segBase != nil && segBase![j] != own) ? 0 : expf(row[j] - lseh[i])
                        }
                        if i + 1 < t { (row + i + 1).update(repeating: 0, count: t - i - 1) }
                        rowDots[i] = dot(gh + i * nh * hd, oh + i * nh * hd, hd)
                    }
                }
                // dV += Pᵀ·dO                                                  (T, HD)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hd), Int32(t), 1,
                            probs, Int32(t), gh, qRow, 1, dvh, kvRow)
                // dP = dO·Vᵀ                                                   (T, T)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hd), 1,
                            gh, qRow, vh, kvRow, 0, dProbs, Int32(t))
                // dS = P·(dP − D), scaled by `scale` for the q·k product.
                Parallel.forEach(t, work: t * 4) { rows in
                    for i in rows {
                        let p = probs + i * t, d = dProbs + i * t, dot = rowDots[i]
                        for j in 0...i { d[j] = p[j] * (d[j] - dot) * scale }
                        if i + 1 < t { (d + i + 1).update(repeating: 0, count: t - i - 1) }
                    }
                }
                // dQ = dS·K;  dK += dSᵀ·Q                                       (T, HD)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hd), Int32(t), 1,
                            dProbs, Int32(t), kh, kvRow, 0, dqh, qRow)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hd), Int32(t), 1,
                            dProbs, Int32(t), qh, qRow, 1, dkh, kvRow)
            }
        }
    }
}
