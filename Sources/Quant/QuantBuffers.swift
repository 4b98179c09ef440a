// Typed views of the float storage quantizers read (f32, bf16, f16) and dequantizers write.
// Inputs are widened to f32 exactly; outputs are rounded from f32 to nearest even, as torch does.
import Compute

/// Elements to quantize: f32, or bf16 / f16 bit patterns.
public enum QuantInput {
    case f32(UnsafeBufferPointer<Float>)
    case bf16(UnsafeBufferPointer<UInt16>)
    case f16(UnsafeBufferPointer<UInt16>)

    /// Number of elements.
    public var count: Int {
        switch self {
        case .f32(let b): b.count
        case .bf16(let b): b.count
        case .f16(let b): b.count
        }
    }

    /// The storage type.
    public var dtype: DType {
        switch self {
        case .f32: .f32
        case .bf16: .bf16
        case .f16: .f16
        }
    }

    /// Copies elements `range` widened to f32 into `destination` (which holds `range.count`).
    @inline(__always)
    func load(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32(let b):
            destination.update(from: b.baseAddress! + range.lowerBound, count: range.count)
        case .bf16(let b):
            for i in 0..<range.count { destination[i] = FloatConversion.bf16ToFloat(b[range.lowerBound + i]) }
        case .f16(let b):
            for i in 0..<range.count { destination[i] = FloatConversion.f16ToFloat(b[range.lowerBound + i]) }
        }
    }
}

/// Where dequantized elements go: f32, or bf16 / f16 bit patterns.
public enum QuantOutput {
    case f32(UnsafeMutableBufferPointer<Float>)
    case bf16(UnsafeMutableBufferPointer<UInt16>)
    case f16(UnsafeMutableBufferPointer<UInt16>)

    /// Number of elements.
    public var count: Int {
        switch self {
        case .f32(let b): b.count
        case .bf16(let b): b.count
        case .f16(let b): b.count
        }
    }

    /// Writes `count` f32 values at element `offset`, rounding to the output type.
    @inline(__always)
    func store(_ values: UnsafePointer<Float>, count: Int, at offset: Int) {
        switch self {
        case .f32(let b):
            (b.baseAddress! + offset).update(from: values, count: count)
        case .bf16(let b):
            for i in 0..<count { b[offset + i] = FloatConversion.floatToBF16(values[i]) }
        case .f16(let b):
            for i in 0..<count { b[offset + i] = FloatConversion.floatToF16(values[i]) }
        }
    }
}

/// Runs `body` with a scratch buffer of `count` floats (one allocation per call, not per block).
@inline(__always)
func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try withUnsafeTemporaryAllocation(of: Float.self, capacity: max(count, 1)) { try body($0.baseAddress!) }
}
