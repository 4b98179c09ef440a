// CPU optimizer kernels: AdamW (torch and bitsandbytes rounding), bitsandbytes' blockwise 8-bit
// AdamW, torch SGD, and the f64 squared norm / scale / zero that clipping and accumulation use.
// Fused multiply-adds stand where torch's vectorized kernels fuse, so updates match bit for bit.
import Compute
import Foundation

extension CPUBackend: OptimizerBackend {
    public func allocateState(_ shape: Shape, dtype: DType, paged: Bool) -> Tensor {
        // Host memory is the only memory here: a paged request is an ordinary allocation.
        allocate(shape, dtype: dtype)
    }

    public func readBytes(_ tensor: Tensor) -> [UInt8] {
        precondition(tensor.isContiguous, "readBytes of a non-contiguous view \(tensor)")
        return Array(UnsafeRawBufferPointer(start: raw(tensor), count: tensor.byteCount))
    }

    public func writeBytes(_ bytes: [UInt8], to tensor: Tensor) {
        precondition(tensor.isContiguous && bytes.count == tensor.byteCount, "write of \(bytes.count) bytes into \(tensor)")
        bytes.withUnsafeBytes { raw(tensor).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }

    // MARK: AdamW

    public func adamwStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: Int,
                          lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, rule: AdamWRule) {
        profileBegin()
        defer { profileEnd("optimizer adamw") }
        checkElementwise([param, grad, m, v], "adamwStep")
        precondition(step >= 1, "adamwStep needs a 1-based step, got \(step)")
        let p = f32(param), g = UnsafePointer(f32(grad)), mp = f32(m), vp = f32(v)
        let t = Double(step)
        let b2 = Lanes(repeating: Float(beta2)), oneMinusB2 = Lanes(repeating: Float(1 - beta2))
        switch rule {
        case .torch:
            let decay = weightDecay != 0
            let decayScale = Lanes(repeating: Float(1 - lr * weightDecay))
            // torch's lerp: weight w < 0.5 → m + w·(g − m); else g + (w − 1)·(g − m); one fma each.
            let w = 1 - beta1
            let smallWeight = abs(Float(w)) < 0.5
            let lerpWeight = Lanes(repeating: smallWeight ? Float(w) : Float(w) - 1)
            let biasCorrection2Sqrt = Lanes(repeating: Float(pow(1 - pow(beta2, t), 0.5)))
            let epsilon = Lanes(repeating: Float(eps))
            let negativeStepSize = Lanes(repeating: Float(-(lr / (1 - pow(beta1, t)))))
            forEachLaneGroup(param.count) { i, n in
                var pv = load(p + i, n), mv = load(mp + i, n), vv = load(vp + i, n)
                let gv = load(g + i, n)
                if decay { pv = pv * decayScale }
                mv = smallWeight ? mv.addingProduct(lerpWeight, gv - mv) : gv.addingProduct(lerpWeight, gv - mv)
                vv = (vv * b2).addingProduct(oneMinusB2 * gv, gv)
                let denominator = vv.squareRoot() / biasCorrection2Sqrt + epsilon
                pv = pv + (negativeStepSize * mv) / denominator
                store(pv, p + i, n); store(mv, mp + i, n); store(vv, vp + i, n)
            }
        case .bitsandbytes:
            let decay = weightDecay > 0
            let decayScale = Lanes(repeating: Float(1 - lr * weightDecay))
            let b1 = Lanes(repeating: Float(beta1)), oneMinusB1 = Lanes(repeating: Float(1 - beta1))
            let correction1 = 1 - pow(beta1, t), correction2 = (1 - pow(beta2, t)).squareRoot()
            let scaledEps = Lanes(repeating: Float(eps * correction2))
            let stepSize = Lanes(repeating: Float(-lr * correction2 / correction1))
            forEachLaneGroup(param.count) { i, n in
                var pv = load(p + i, n), mv = load(mp + i, n), vv = load(vp + i, n)
                let gv = load(g + i, n)
                mv = (mv * b1).addingProduct(gv, oneMinusB1)
                vv = (vv * b2).addingProduct(oneMinusB2 * gv, gv)
                if decay { pv = pv * decayScale }
                let update = mv / (vv.squareRoot() + scaledEps)
                pv = pv.addingProduct(update, stepSize)
                store(pv, p + i, n); store(mv, mp + i, n); store(vv, vp + i, n)
            }
        }
    }

    public func adamw8bitStep(param: Tensor, grad: Tensor, m: BlockwiseQuantizedState, v: BlockwiseQuantizedState,
                              step: Int, lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double) {
        profileBegin()
        defer { profileEnd("optimizer adamw8bit") }
        checkElementwise([param, grad], "adamw8bitStep")
        precondition(step >= 1, "adamw8bitStep needs a 1-based step, got \(step)")
        precondition(m.codes.count == param.count && v.codes.count == param.count && m.blockSize == v.blockSize,
                     "adamw8bitStep: states of \(m.codes.count) and \(v.codes.count) codes for \(param.count) parameters")
        let count = param.count, blockSize = m.blockSize
        let p = f32(param), g = UnsafePointer(f32(grad))
        let mCodes = raw(m.codes).assumingMemoryBound(to: UInt8.self), vCodes = raw(v.codes).assumingMemoryBound(to: UInt8.self)
        let mAbsmax = f32(m.absmax), vAbsmax = f32(v.absmax)
        let mMap = UnsafePointer(f32(m.map)), vMap = UnsafePointer(f32(v.map))
        let mBins = quantizationBins(for: mMap), vBins = quantizationBins(for: vMap)

        let t = Double(step)
        let b1 = Float(beta1), oneMinusB1 = Float(1 - beta1), b2 = Float(beta2), oneMinusB2 = Float(1 - beta2)
        let correction1 = 1 - pow(beta1, t), correction2 = (1 - pow(beta2, t)).squareRoot()
        let c2 = Float(correction2), epsilon = Float(eps)
        let decay = weightDecay > 0, decayScale = Float(1 - lr * weightDecay)
        let stepValue = Float(-lr / correction1)

        let blocks = (count + blockSize - 1) / blockSize
        let scratch = workerScratch(floatsPerWorker: 2 * blockSize)
        mBins.withUnsafeBufferPointer { mBinTable in
            vBins.withUnsafeBufferPointer { vBinTable in
                Parallel.forEachWorker(blocks, work: 40 * blockSize) { worker, range in
                    let mBlock = scratch + worker * 2 * blockSize, vBlock = mBlock + blockSize
                    for b in range {
                        let start = b * blockSize, length = min(blockSize, count - start)
                        let mScale = mAbsmax[b], vScale = vAbsmax[b]
                        var mMax: Float = 0, vMax: Float = 0
                        for k in 0..<length {
                            let i = start + k, gk = g[i]
                            let mk = (mMap[Int(mCodes[i])] * mScale * b1).addingProduct(gk, oneMinusB1)
                            let vk = (vMap[Int(vCodes[i])] * vScale * b2).addingProduct(oneMinusB2 * gk, gk)
                            let denominator = vk.squareRoot() / c2 + epsilon
                            var pk = p[i]
                            if decay { pk = pk * decayScale }
                            p[i] = pk + (stepValue * mk) / denominator
                            mBlock[k] = mk; vBlock[k] = vk
                            // Largest magnitude, NaNs skipped (as bitsandbytes' quantizer).
                            if abs(mk) > mMax { mMax = abs(mk) }
                            if abs(vk) > vMax { vMax = abs(vk) }
                        }
                        requantize(mBlock, length, absmax: mMax, bins: mBinTable.baseAddress!, into: mCodes + start)
                        requantize(vBlock, length, absmax: vMax, bins: vBinTable.baseAddress!, into: vCodes + start)
                        mAbsmax[b] = mMax
                        vAbsmax[b] = vMax
                    }
                }
            }
        }
    }

    // MARK: SGD

    public func sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor?, initializeMomentum: Bool,
                        lr: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double) {
        profileBegin()
        defer { profileEnd("optimizer sgd") }
        checkElementwise([param, grad], "sgdStep")
        let usesMomentum = momentum != 0
        precondition(!usesMomentum || momentumBuffer.map { $0.dtype == .f32 && $0.count == param.count } == true,
                     "sgdStep with momentum \(momentum) needs an f32 momentum buffer of \(param.count) elements")
        let p = f32(param), g = UnsafePointer(f32(grad))
        let buffer = usesMomentum ? f32(momentumBuffer!) : p
        let decay = weightDecay != 0, wd = Lanes(repeating: Float(weightDecay))
        let mu = Lanes(repeating: Float(momentum)), keep = Lanes(repeating: Float(1 - dampening))
        let negativeLR = Lanes(repeating: Float(-lr))
        forEachLaneGroup(param.count) { i, n in
            var pv = load(p + i, n)
            var direction = load(g + i, n)
            if decay { direction = direction.addingProduct(pv, wd) }
            if usesMomentum {
                let bv = initializeMomentum ? direction : (load(buffer + i, n) * mu).addingProduct(direction, keep)
                store(bv, buffer + i, n)
                direction = nesterov ? direction.addingProduct(bv, mu) : bv
            }
            pv = pv.addingProduct(direction, negativeLR)
            store(pv, p + i, n)
        }
    }

    // MARK: Norms, scaling

    public func squaredL2Norm(_ tensor: Tensor) -> Double {
        profileBegin()
        defer { profileEnd("optimizer grad norm") }
        checkElementwise([tensor], "squaredL2Norm")
        let x = UnsafePointer(f32(tensor)), count = tensor.count
        let chunk = 4096, chunks = (count + chunk - 1) / chunk
        guard chunks > 0 else { return 0 }
        // Fixed chunks summed in f64, partials added in order: the same result on any core count.
        let partials = UnsafeMutableRawPointer(scratchFloats(2 * chunks)).assumingMemoryBound(to: Double.self)
        Parallel.forEach(chunks, work: chunk) { range in
            for c in range {
                let start = c * chunk, end = min(count, start + chunk)
                var acc = SIMD8<Double>()
                var i = start
                while i + 8 <= end {
                    let lanes = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
                    acc = acc.addingProduct(lanes, lanes)
                    i += 8
                }
                var sum = acc.sum()
                while i < end {
                    sum += Double(x[i]) * Double(x[i])
                    i += 1
                }
                partials[c] = sum
            }
        }
        var total = 0.0
        for c in 0..<chunks { total += partials[c] }
        return total
    }

    public func scale(_ tensor: Tensor, by factor: Float) {
        profileBegin()
        defer { profileEnd("optimizer scale") }
        checkElementwise([tensor], "scale")
        let x = f32(tensor), f = Lanes(repeating: factor)
        forEachLaneGroup(tensor.count) { i, n in store(load(x + i, n) * f, x + i, n) }
    }

    // zero(_:) is shared with TrainingBackend: CPUBackward.swift implements it for both protocols.

    // MARK: Helpers

    private func checkElementwise(_ tensors: [Tensor], _ op: String) {
        let count = tensors[0].count
        for t in tensors {
            precondition(t.dtype == .f32 && t.isContiguous && t.count == count,
                         "\(op): expected contiguous f32 tensors of \(count) elements, got \(t)")
        }
    }
}

/// Runs `body(offset, lanes)` over `0..<count` in groups of 16 lanes (the last may hold fewer),
/// split across cores in 4096-element chunks.
@inline(__always)
private func forEachLaneGroup(_ count: Int, _ body: (Int, Int) -> Void) {
    let chunk = 4096
    Parallel.forEach((count + chunk - 1) / chunk, work: chunk) { chunks in
        var i = chunks.lowerBound * chunk
        let end = min(count, chunks.upperBound * chunk)
        while i < end {
            body(i, min(16, end - i))
            i += 16
        }
    }
}

/// Loads `n` ≤ 16 floats (zero-padded lanes beyond `n`).
@inline(__always)
private func load(_ p: UnsafePointer<Float>, _ n: Int) -> Lanes {
    if n == 16 { return loadLanes(p) }
    var v = Lanes()
    for k in 0..<n { v[k] = p[k] }
    return v
}

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Lanes { load(UnsafePointer(p), n) }

/// Stores the first `n` ≤ 16 lanes.
@inline(__always)
private func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n == 16 { storeLanes(v, p); return }
    for k in 0..<n { p[k] = v[k] }
}

// MARK: Blockwise 8-bit quantization (bitsandbytes' CPU quantizer)

/// Writes the code of each of `length` values divided by `absmax` (all codes 0 when absmax is 0).
@inline(__always)
private func requantize(_ values: UnsafePointer<Float>, _ length: Int, absmax: Float,
                        bins: UnsafePointer<UInt8>, into codes: UnsafeMutablePointer<UInt8>) {
    guard absmax != 0 else {
        codes.update(repeating: 0, count: length)
        return
    }
    let inverse = 1 / absmax
    for k in 0..<length {
        let clamped = min(max(values[k] * inverse, -1), 1)
        // The C kernel rounds (x + 1)/2 · 65535 + 0.5 once (an fma) and truncates; in Double the
        // product and sum are exact, so one rounding to Float gives the same bin.
        let bin = Float(Double((clamped + 1) * 0.5) * 65535 + 0.5)
        codes[k] = bin.isNaN ? bins[0] : bins[Int(bin)]
    }
}

/// The 65536-bin → code index table of a 256-entry map, built once per distinct map.
private func quantizationBins(for map: UnsafePointer<Float>) -> [UInt8] {
    let code = Array(UnsafeBufferPointer(start: map, count: 256))
    return QuantizationBinCache.shared.bins(for: code)
}

private final class QuantizationBinCache: @unchecked Sendable {
    static let shared = QuantizationBinCache()
    private let lock = NSLock()
    private var tables: [[UInt32]: [UInt8]] = [:]

    func bins(for code: [Float]) -> [UInt8] {
        let key = code.map(\.bitPattern)
        lock.lock()
        defer { lock.unlock() }
        if let table = tables[key] { return table }
        for i in 1..<256 {
            precondition(code[i - 1] <= code[i], "quantization map must ascend (index \(i))")
        }
        // Bin j stands for −1 + 2j/65535 and takes the first code whose upper midpoint is ≥ it.
        var midpoints = [Float](repeating: 0, count: 255)
        for i in 0..<255 { midpoints[i] = 0.5 * (code[i] + code[i + 1]) }
        var table = [UInt8](repeating: 0, count: 65536)
        var index = 0
        for bin in 0..<65536 {
            let value = -1 + (2 * Float(bin)) / 65535
            while index < 255 && midpoints[index] < value { index += 1 }
            table[bin] = UInt8(index)
        }
        tables[key] = table
        return table
    }
}
