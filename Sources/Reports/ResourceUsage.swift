// The process's peak memory, for run records and reports.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ResourceUsage {
    /// Peak resident set size of this process so far, in bytes (getrusage's `ru_maxrss`: KiB on
    /// Linux, bytes on macOS); nil if the call fails.
    public static func peakResidentBytes() -> Int? {
        var usage = rusage()
        #if os(Linux)
        let who = RUSAGE_SELF.rawValue
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return nil }
        #if os(macOS)
        return Int(usage.ru_maxrss)
        #else
        return Int(usage.ru_maxrss) * 1024
        #endif
    }
}
