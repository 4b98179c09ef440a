// The machine's GEMM peak as the training step could reach it: the best GFLOP/s of one large,
// training-shaped matmul (1024 × 576 · 576 × 1536, SmolLM2's MLP at batch 4 × 256) in f32 and bf16.
import Compute
import CPUBackend
import Foundation

enum GEMMPeak {
    /// Best of a few timed runs after one warm-up; bf16 only when the backend computes in bf16.
    static func measure(backend: CPUBackend, repeats: Int = 8) -> (f32: Double, bf16: Double?) {
        let (m, k, n) = (1024, 576, 1536)
        var rng = SystemRandomNumberGenerator()
        let a = backend.allocate([m, k], dtype: .f32), out = backend.allocate([m, n], dtype: .f32)
        backend.write((0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }, to: a)
        let wide = backend.allocate([n, k], dtype: .f32)
        backend.write((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) }, to: wide)
        func best(_ weight: Tensor, on device: CPUBackend) -> Double {
            var fastest = Double.infinity
            for run in 0...repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                device.matmul(out, a, weight, transposeA: false, transposeB: true, alpha: 1, beta: 0)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if run > 0 { fastest = min(fastest, elapsed) }
            }
            return 2 * Double(m * n * k) / fastest / 1e9
        }
        let f32 = best(wide, on: CPUBackend())
        guard backend.matmulPrecision == .bf16 else { return (f32, nil) }
        let narrow = backend.upload(wide, as: .bf16)
        return (f32, best(narrow, on: backend))
    }
}
