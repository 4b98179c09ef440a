// ComputeTests support: seeded random inputs and tolerance checks shared by the op tests.
import struct Basics.SplitMix64
import Compute
import CPUBackend
import RunnerTestSupport
import Testing

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
