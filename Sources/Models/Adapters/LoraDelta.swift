// One adapted Linear layer of a loaded adapter — A (r, in), B (out, r) and its scale — and the
// merge W + scale·B·A that folds it into the dense weight.
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

    public init(module: String, a: [Float], b: [Float], rank: Int, inFeatures: Int, outFeatures: Int, scale: Float) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank, "LoRA pair sizes")
        self.module = module
        self.a = a
        self.b = b
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.scale = scale
    }

    /// Adds (B·A)·scale to `weight` (out, in), row-major: each row's delta is summed over the rank
    /// in f32 and scaled afterwards, in PEFT's order (`W + (B @ A) * scaling`).
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
                        }
                    }
                }
            }
        }
    }
}
