// What a benchmark ran on: CPU model, core count, memory, and the 1-minute load average at each
// measurement (the machine may be shared; a number means little without its load).
import Foundation

public struct MachineInfo: Codable, Equatable, Sendable {
    public var cpuModel: String
    public var cores: Int
    public var memoryGiB: Double
    public var os: String

    enum CodingKeys: String, CodingKey { case cpuModel = "cpu_model", cores, memoryGiB = "memory_gib", os }

    /// This machine, from /proc/cpuinfo and ProcessInfo.
    public static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let info = ProcessInfo.processInfo
        return MachineInfo(cpuModel: model, cores: info.activeProcessorCount,
                           memoryGiB: (Double(info.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
                           os: info.operatingSystemVersionString)
    }

    /// The 1-minute load average (/proc/loadavg); nil where there is none.
    public static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}
