// Opt-in wall-time accounting of the CPU backend's ops, for finding where a training step's time
// goes (`TrainBench --profile`, or RUNNER_PROFILE_OPS=1 for any backend): per op kind, per matmul
// shape. Time is exclusive (an op that calls `matmul` does not count the matmul's time twice).
import Foundation

/// Per-op wall time of one backend. Off unless a caller sets `CPUBackend.profile`; when off, an op
/// pays one nil check. Not thread-safe: ops begin and end on the thread that drives the backend.
public final class OpProfile {
    /// One row of the table: calls, exclusive seconds, and GEMM flops (matmuls only).
    public struct Entry {
        public var calls = 0
        public var seconds = 0.0
        public var flops = 0.0
    }

    public private(set) var entries: [String: Entry] = [:]
    /// Open ops: when each began and how much of that went to nested ops.
    private var open: [(start: UInt64, nested: UInt64)] = []

    public init() {}

    /// True when the environment asks every CPU backend to profile (`RUNNER_PROFILE_OPS=1`).
    static var requestedByEnvironment: Bool { ProcessInfo.processInfo.environment["RUNNER_PROFILE_OPS"].map { $0 != "" && $0 != "0" } ?? false }

    func begin() { open.append((DispatchTime.now().uptimeNanoseconds, 0)) }

    /// Closes the innermost open op under `key` (evaluated only here, so profiling off costs no string).
    func end(_ key: String, flops: Double = 0) {
        guard let (start, nested) = open.popLast() else { return }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        if !open.isEmpty { open[open.count - 1].nested += elapsed }
        entries[key, default: Entry()].calls += 1
        entries[key, default: Entry()].seconds += Double(elapsed - min(nested, elapsed)) / 1e9
        entries[key, default: Entry()].flops += flops
    }

    /// Forgets everything recorded (e.g. after warm-up steps).
    public func reset() { entries = [:] }

    /// Total exclusive seconds of every op recorded.
    public var totalSeconds: Double { entries.values.reduce(0) { $0 + $1.seconds } }

    /// A plain-text table, slowest first: op, calls, seconds per `steps`, share of `stepSeconds`, GFLOP/s.
    public func table(steps: Int, stepSeconds: Double) -> String {
        let steps = Double(max(steps, 1))
        var lines = [String(format: "%-58@ %7@ %9@ %6@ %8@", "op" as NSString, "calls" as NSString, "ms/step" as NSString,
                            "%step" as NSString, "GFLOP/s" as NSString)]
        for (key, entry) in entries.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            let rate = entry.flops > 0 && entry.seconds > 0 ? String(format: "%8.1f", entry.flops / entry.seconds / 1e9) : ""
            lines.append(String(format: "%-58@ %7d %9.1f %6.1f %@", key as NSString, Int(Double(entry.calls) / steps),
                                entry.seconds / steps * 1000, 100 * entry.seconds / steps / stepSeconds, rate as NSString))
        }
        let covered = totalSeconds / steps
        lines.append(String(format: "%-58@ %7@ %9.1f %6.1f", "outside backend ops (dequantization, model bookkeeping)" as NSString,
                            "" as NSString, (stepSeconds - covered) * 1000, 100 * (stepSeconds - covered) / stepSeconds))
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
