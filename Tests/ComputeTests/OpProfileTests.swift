// The CPU backend's opt-in op profile: what it records (op kinds, matmul shapes, calls, flops),
// that an op calling another is not counted twice, and that it stays off unless asked for.
import struct Basics.SplitMix64
import Compute
import CPUBackend
import Foundation
import RunnerTestSupport
import Testing

@Suite struct OpProfileTests {
    @Test func recordsOpsAndMatmulShapesWithExclusiveTime() {
        let cpu = CPUBackend()
        cpu.profile = OpProfile()
        var rng = SplitMix64(seed: 3)
        let (rows, c, vocab) = (64, 48, 4096)
        let hidden = tensor(cpu, rng.floats(rows * c), [rows, c]), head = tensor(cpu, rng.floats(vocab * c), [vocab, c])
        let labels = intTensor(cpu, (0..<rows).map { Int32(($0 * 37) % vocab) }, [rows])
        let dHidden = cpu.allocate([rows, c], dtype: .f32)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = cpu.crossEntropyLoss(hidden: hidden, weight: head, labels: labels, dHidden: dHidden, dWeight: nil, gradScale: 1, chunkRows: 32)
        cpu.matmul(dHidden, hidden, tensor(cpu, rng.floats(c * c), [c, c]), transposeA: false, transposeB: false, alpha: 1, beta: 0)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let profile = cpu.profile!
        let entries = profile.entries
        #expect(entries["cross-entropy (softmax, excl. matmuls)"]?.calls == 1)
        // Two chunks of 32 rows: logits = h·Wᵀ, then dHidden = dlogits·W.
        #expect(entries["matmul f32 32×4096×48 NT"]?.calls == 2)
        #expect(entries["matmul f32 32×48×4096 NN"]?.calls == 2)
        #expect(entries["matmul f32 32×4096×48 NT"]?.flops == Double(2 * 2 * 32 * 4096 * 48))
        #expect(entries["matmul f32 64×48×48 NN"]?.calls == 1)
        // Exclusive time: the loss's nested matmuls are not counted inside it again.
        #expect(profile.totalSeconds <= elapsed)
        let table = profile.table(steps: 1, stepSeconds: elapsed, stepCPUSeconds: max(profile.totalCPUSeconds, 1e-9))
        #expect(table.contains("matmul f32 32×48×4096 NN") && table.contains("outside backend ops"))
        profile.reset()
        #expect(profile.entries.isEmpty)
    }

    @Test func offUnlessAskedFor() {
        let asked = ProcessInfo.processInfo.environment["RUNNER_PROFILE_OPS"].map { $0 != "" && $0 != "0" } ?? false
        #expect((CPUBackend().profile != nil) == asked)
    }
}
