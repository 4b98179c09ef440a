// Opt-in wall-time accounting of the CPU backend's ops, for finding where a training step's time
// goes (`TrainBench --profile`, or RUNNER_PROFILE_OPS=1 for any backend): per op kind, per matmul
// shape. Time is exclusive (an op that calls `matmul` does not count the matmul's time twice).
import Foundation

/// Per-op wall time of one backend. Off unless a caller sets `CPUBackend.profile`; when off, an op
/// pays one nil check. Not thread-safe: ops begin and end on the thread that drives the backend.
public final class OpProfile {
    /// One row of the table: calls, exclusive wall and process-CPU seconds, GEMM flops (matmuls only).
    /// CPU time (all threads) is what to compare on a shared machine: other processes' load stretches
    /// wall time but not the CPU time an op spends.
    public struct Entry {
        public var calls = 0
        public var seconds = 0.0
        public var cpuSeconds = 0.0
        public var flops = 0.0
    }

    public private(set) var entries: [String: Entry] = [:]
    /// Open ops: when each began and how much of that went to nested ops.
    private var open: [(start: UInt64, cpuStart: UInt64, nested: UInt64, cpuNested: UInt64)] = []

    public init() {}

    /// True when the environment asks every CPU backend to profile (`RUNNER_PROFILE_OPS=1`).
    static var requestedByEnvironment: Bool { ProcessInfo.processInfo.environment["RUNNER_PROFILE_OPS"].map { $0 != "" && $0 != "0" } ?? false }

    func begin() { open.append((DispatchTime.now().uptimeNanoseconds, Self.processCPUNanoseconds(), 0, 0)) }

    /// CPU time of every thread of this process so far.
    public static func processCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Closes the innermost open op under `key` (evaluated only here, so profiling off costs no string).
    func end(_ key: String, flops: Double = 0) {
        guard let (start, cpuStart, nested, cpuNested) = open.popLast() else { return }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start, cpu = Self.processCPUNanoseconds() - cpuStart
        if !open.isEmpty {
            open[open.count - 1].nested += elapsed
            open[open.count - 1].cpuNested += cpu
        }
        entries[key, default: Entry()].calls += 1
        entries[key, default: Entry()].seconds += Double(elapsed - min(nested, elapsed)) / 1e9
        entries[key, default: Entry()].cpuSeconds += Double(cpu - min(cpuNested, cpu)) / 1e9
        entries[key, default: Entry()].flops += flops
    }

    /// Forgets everything recorded (e.g. after warm-up steps).
    public func reset() { entries = [:] }

    /// Total exclusive wall and CPU seconds of every op recorded.
    public var totalSeconds: Double { entries.values.reduce(0) { $0 + $1.seconds } }
    public var totalCPUSeconds: Double { entries.values.reduce(0) { $0 + $1.cpuSeconds } }

    /// A plain-text table, most CPU time first: op, calls, wall and CPU ms per step (of `steps`),
    /// share of the step's CPU time `stepCPUSeconds`, GFLOP/s per wall second.
    public func table(steps: Int, stepSeconds: Double, stepCPUSeconds: Double) -> String {
        let steps = Double(max(steps, 1))
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        var lines = [pad("op", 46) + "  calls  wall ms  cpu ms  %cpu  GFLOP/s(wall)"]
        for (key, entry) in entries.sorted(by: { $0.value.cpuSeconds > $1.value.cpuSeconds }) {
            let rate = entry.flops > 0 && entry.seconds > 0 ? String(format: "%8.1f", entry.flops / entry.seconds / 1e9) : ""
            lines.append(pad(key, 46) + String(format: " %6d %8.1f %7.1f %5.1f %@", Int(Double(entry.calls) / steps), entry.seconds / steps * 1000,
                                               entry.cpuSeconds / steps * 1000, 100 * entry.cpuSeconds / steps / stepCPUSeconds, rate))
        }
        let (wall, cpu) = (stepSeconds - totalSeconds / steps, stepCPUSeconds - totalCPUSeconds / steps)
        lines.append(pad("outside backend ops (dequantization, model)", 46)
                     + String(format: " %6@ %8.1f %7.1f %5.1f", "", wall * 1000, cpu * 1000, 100 * cpu / stepCPUSeconds))
        lines.append(pad("step", 46) + String(format: " %6@ %8.1f %7.1f", "", stepSeconds * 1000, stepCPUSeconds * 1000))
        return lines.joined(separator: "\n")
    }
}

extension CPUBackend {
    /// Opens a profiled op when profiling is on; pair with `profileEnd`.
    @inline(__always)
    func profileBegin() { profile?.begin() }

    /// Closes the op opened by the matching `profileBegin` (the key is built only when profiling).
    @inline(__always)
    func profileEnd(_ key: @autoclosure () -> String, flops: @autoclosure () -> Double = 0) {
        if let profile { profile.end(key(), flops: flops()) }
    }
}
