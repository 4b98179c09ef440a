// ComputeTests support: seeded random inputs and tolerance checks shared by the op tests.
import Compute
import CPUBackend
import Testing

/// SplitMix64: small, seeded, reproducible.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float() * scale } }
}

/// A backend tensor filled with `values`.
func tensor(_ backend: CPUBackend, _ values: [Float], _ shape: Shape) -> Tensor {
    let t = backend.allocate(shape, dtype: .f32)
    backend.write(values, to: t)
    return t
}

func intTensor(_ backend: CPUBackend, _ values: [Int32], _ shape: Shape) -> Tensor {
    let t = backend.allocate(shape, dtype: .i32)
    backend.write(values, to: t)
    return t
}

/// Expects |actual − expected| ≤ tolerance · (1 + |expected|) elementwise, and that the data is not trivial.
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    #expect(expected.contains { $0 != 0 }, "reference is all zeros", sourceLocation: sourceLocation)
    var worst: Float = 0, at = 0
    for i in 0..<min(actual.count, expected.count) {
        let error = abs(actual[i] - expected[i]) / (1 + abs(expected[i]))
        if !(error <= worst) { worst = error; at = i }
    }
    #expect(worst <= tolerance, "max relative error \(worst) at \(at): \(actual[at]) vs \(expected[at])", sourceLocation: sourceLocation)
}
