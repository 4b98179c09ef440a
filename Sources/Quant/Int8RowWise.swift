// LLM.int8() row-wise absmax quantization (bitsandbytes `int8_vectorwise_quant` /
// `int8_vectorwise_dequant`): int8 = round(x * 127 / rowAbsmax); optional outlier columns.
import Basics
import Compute

/// A (rows, columns) matrix quantized to int8 with one f32 scale per row.
public struct Int8RowWise: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// (rows, columns) row-major int8 values (`CB` in bitsandbytes).
    public let values: [Int8]
    /// (rows,) max |x| of each row (`SCB`), outliers excluded.
    public let rowAbsmax: [Float]
    /// Columns holding an element with |x| ≥ threshold, ascending; empty when threshold is 0.
    public let outlierColumns: [Int]

    /// Quantizes `input` (row-major). With `threshold > 0`, elements with |x| ≥ threshold (compared
    /// in the input's own type) are left out of the row maxima, and when there is more than one row
    /// their whole columns are stored as 0, as LLM.int8()'s mixed decomposition keeps them in 16 bits.
    public init(quantizing input: QuantInput, rows: Int, columns: Int, threshold: Float = 0) throws {
        guard rows > 0, columns > 0, rows * columns == input.count else {
            throw RunnerError("int8 row-wise quantization", "shape (\(rows), \(columns)) does not describe \(input.count) elements")
        }
        guard threshold >= 0, threshold.isFinite else {
            throw RunnerError("int8 row-wise quantization", "threshold must be a finite number ≥ 0, got \(threshold)")
        }
        // torch compares a bf16/f16 tensor with a Python float in the tensor's own type.
        let limit: Float = switch input.dtype {
        case .bf16: FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(threshold))
        case .f16: FloatConversion.f16ToFloat(FloatConversion.floatToF16(threshold))
        default: threshold
        }
        var values = [Int8](repeating: 0, count: rows * columns)
        var rowAbsmax = [Float](repeating: 0, count: rows)
        var isOutlierColumn = [Bool](repeating: false, count: columns)
        try withScratch(columns) { row in
            for r in 0..<rows {
                input.load((r * columns)..<((r + 1) * columns), into: row)
                var maximum: Float = 0
                for c in 0..<columns {
                    guard row[c].isFinite else {
                        throw RunnerError("int8 row-wise quantization", "element (\(r), \(c)) is \(row[c])")
                    }
                    if threshold > 0 && abs(row[c]) >= limit {
                        isOutlierColumn[c] = true
                        row[c] = 0
                    }
                    maximum = max(maximum, abs(row[c]))
                }
                rowAbsmax[r] = maximum
                // `127.0 / stats` in torch is reciprocal(stats) * 127: two roundings.
                let scale = (1 / maximum) * 127
                for c in 0..<columns {
                    let scaled = row[c] * scale
                    values[r * columns + c] = scaled.isNaN ? 0 : Int8(scaled.rounded(.toNearestOrEven))
                }
            }
        }
        let outliers = isOutlierColumn.indices.filter { isOutlierColumn[$0] }
        if rows > 1 {
            for r in 0..<rows { for c in outliers { values[r * columns + c] = 0 } }
        }
        self.rows = rows
        self.columns = columns
        self.values = values
        self.rowAbsmax = rowAbsmax
        self.outlierColumns = outliers
    }

    /// Wraps already-quantized parts (e.g. read from a checkpoint: `weight` int8 and `SCB`).
    /// - Throws: when the sizes disagree or a row maximum is negative or not finite.
    public init(rows: Int, columns: Int, values: [Int8], rowAbsmax: [Float]) throws {
        guard rows > 0, columns > 0, values.count == rows * columns, rowAbsmax.count == rows else {
            throw RunnerError("int8 row-wise weight", "(\(rows), \(columns)) needs \(rows * columns) values and \(rows) row maxima, "
                              + "got \(values.count) and \(rowAbsmax.count)")
        }
        if let bad = rowAbsmax.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw RunnerError("int8 row-wise weight", "row \(bad)'s absmax (SCB) is \(rowAbsmax[bad])", hint: "expected a finite value ≥ 0")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
        self.rowAbsmax = rowAbsmax
        self.outlierColumns = []
    }

    /// `x = q * rowAbsmax * (1/127)`, as bitsandbytes computes it (two f32 multiplications).
    public func dequantize(into out: UnsafeMutableBufferPointer<Float>) throws {
        guard out.count == rows * columns else {
            throw RunnerError("int8 row-wise dequantization", "output holds \(out.count) elements, expected \(rows * columns)")
        }
        let inverse127 = Float(7.874015718698502e-3)
        for r in 0..<rows {
            let scale = rowAbsmax[r]
            for c in 0..<columns { out[r * columns + c] = Float(values[r * columns + c]) * scale * inverse127 }
        }
    }

    /// Convenience: dequantizes to a new array.
    public func dequantized() throws -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        try out.withUnsafeMutableBufferPointer { try dequantize(into: $0) }
        return out
    }
}
