// The float32 sum and mean of a 1-D tensor exactly as PyTorch's CPU kernel computes them
// (cascade sum over 8-lane vectors), so the double-quantization offset matches bitsandbytes bit
// for bit. Torch splits tensors of ≥ 32768 elements across its threads, which can change the last
// bit there; this matches torch with one thread at any size, and any thread count below that.

/// PyTorch-compatible float32 reductions (`torch.sum`, `torch.mean` on a contiguous CPU tensor).
public enum TorchFloatSum {
    /// `x.sum()` of a float32 tensor: same additions in the same order as ATen's `cascade_sum`.
    public static func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
        let lanes = 8  // Vectorized<float> width of ATen's reduction kernels (AVX2 build, also chosen on AVX-512)
        let n = x.count
        if n < lanes {
            // scalar_inner_sum: row_sum with 4 interleaved accumulators.
            return 0 + rowSum(count: n, zero: Float(0)) { x[$0] }
        }
        let vectors = n / lanes
        let vectorSum = rowSum(count: vectors, zero: SIMD8<Float>()) { v in
            SIMD8<Float>(x[(v * lanes)..<(v * lanes + lanes)])
        }
        var total: Float = 0
        for k in (vectors * lanes)..<n { total += x[k] }
        for lane in 0..<lanes { total += vectorSum[lane] }
        return 0 + total
    }

    /// `x.mean()`: the sum divided by the count in float32 (ATen's CPU `mean` is `sum / n`).
    public static func mean(_ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count > 0, "mean of an empty tensor")
        return sum(x) / Float(x.count)
    }

    /// ATen `row_sum`: view the row as (-1, 4), sum the columns with `multiRowSum`, add the
    /// leftovers to column 0, then fold columns 1…3 into column 0.
    private static func rowSum<T: LaneAddable>(count: Int, zero: T, load: (Int) -> T) -> T {
        let ilp = 4
        let rows = count / ilp
        var partial = multiRowSum(rows: rows, zero: zero) { row, k in load(row * ilp + k) }
        for i in (rows * ilp)..<count { partial[0] = partial[0] + load(i) }
        for k in 1..<ilp { partial[0] = partial[0] + partial[k] }
        return partial[0]
    }

    /// ATen `multi_row_sum` with 4 columns: a 4-level cascade where each level sums chunks of
    /// 2^levelPower entries of the level below, so only similar magnitudes are added together.
    private static func multiRowSum<T: LaneAddable>(rows: Int, zero: T, load: (Int, Int) -> T) -> [T] {
        let columns = 4, levels = 4
        let levelPower = max(4, ceilLog2(rows) / levels)
        let levelStep = 1 << levelPower
        let levelMask = levelStep - 1
        var acc = [[T]](repeating: [T](repeating: zero, count: columns), count: levels)
        var i = 0
        while i + levelStep <= rows {
            for _ in 0..<levelStep {
                for k in 0..<columns { acc[0][k] = acc[0][k] + load(i, k) }
                i += 1
            }
            for j in 1..<levels {
                for k in 0..<columns {
                    acc[j][k] = acc[j][k] + acc[j - 1][k]
                    acc[j - 1][k] = zero
                }
                if i & (levelMask << (j * levelPower)) != 0 { break }
            }
        }
        while i < rows {
            for k in 0..<columns { acc[0][k] = acc[0][k] + load(i, k) }
            i += 1
        }
        for j in 1..<levels {
            for k in 0..<columns { acc[0][k] = acc[0][k] + acc[j][k] }
        }
        return acc[0]
    }

    /// c10 `CeilLog2`: 1 for x ≤ 2, else the bit width of x − 1.
    private static func ceilLog2(_ x: Int) -> Int {
        x <= 2 ? 1 : Int.bitWidth - (x - 1).leadingZeroBitCount
    }
}

/// Element-wise (lane-wise for vectors) float32 addition, what the cascade accumulates.
protocol LaneAddable {
    static func + (lhs: Self, rhs: Self) -> Self
}

extension Float: LaneAddable {}
extension SIMD8: LaneAddable where Scalar == Float {}
