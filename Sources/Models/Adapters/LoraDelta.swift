// One adapted Linear layer of a loaded adapter — A (r, in), B (out, r), its scale and, for DoRA, the
// magnitude m (out) — and the merge that folds it into the dense weight: W + scale·B·A, or with DoRA
// (m / ‖W + scale·B·A‖) · (W + scale·B·A), the norm per output row.
import Basics
import Compute

/// A LoRA pair for one Linear layer, host f32.
public struct LoraDelta: Sendable {
    /// Module path in the base model (`model.layers.0.self_attn.q_proj`).
    public let module: String
    public let rank: Int
    public let inFeatures: Int
    public let outFeatures: Int
    public let a: [Float]        // (r, in)
    public let b: [Float]        // (out, r)
    /// alpha/r, or alpha/√r with rsLoRA (per-module alpha and r from the patterns).
    public let scale: Float
    /// DoRA's magnitude vector (out), PEFT's `lora_magnitude_vector`; nil for plain LoRA.
    public let magnitude: [Float]?

    public init(module: String, a: [Float], b: [Float], rank: Int, inFeatures: Int, outFeatures: Int, scale: Float,
                magnitude: [Float]? = nil) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank, "LoRA pair sizes")
        precondition(magnitude == nil || magnitude!.count == outFeatures, "DoRA magnitude size")
        self.module = module
        self.a = a
        self.b = b
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.scale = scale
        self.magnitude = magnitude
    }

    /// Adds (B·A)·scale to `weight` (out, in), row-major: each row's delta is summed over the rank
    /// in f32 and scaled afterwards, in PEFT's order (`W + (B @ A) * scaling`). With a DoRA magnitude,
    /// each row of that sum is then scaled by m / ‖row‖ (PEFT's DoRA merge).
    public func merge(into weight: inout [Float]) {
        precondition(weight.count == outFeatures * inFeatures, "merge into a weight of another size")
        let (r, n) = (rank, inFeatures)
        var delta = [Float](repeating: 0, count: n)     // (in) one row of B·A
        weight.withUnsafeMutableBufferPointer { w in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    delta.withUnsafeMutableBufferPointer { d in
                        for o in 0..<outFeatures {
                            for i in 0..<n { d[i] = 0 }
                            for k in 0..<r {
                                let coefficient = b[o * r + k]
                                let aRow = a.baseAddress! + k * n
                                for i in 0..<n { d[i] += coefficient * aRow[i] }
                            }
                            let row = w.baseAddress! + o * n
                            for i in 0..<n { row[i] += d[i] * scale }
                            if let magnitude {
                                var squares = 0.0
                                for i in 0..<n { squares += Double(row[i]) * Double(row[i]) }
                                let factor = magnitude[o] / Float(squares.squareRoot())
                                for i in 0..<n { row[i] *= factor }
                            }
                        }
                    }
                }
            }
        }
    }
}
