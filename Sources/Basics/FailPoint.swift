// Test hooks for fault injection: `RUNNER_FAILPOINT=<point>[@<n>]` makes the process SIGKILL
// itself the n-th time (default: the first) it reaches the named point, so tests can kill `runner`
// exactly inside the windows random timing rarely hits (a cache publish, a checkpoint write).
// The variable is read once, on the first `hit()`; when it is unset a hit is one load and a branch.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The named points where a test may kill the process (docs/RELIABILITY.md lists what each leaves).
public enum FailPoint: String, CaseIterable, Sendable {
    /// Cache publish: the stage's files are fsynced in the build directory, no manifest yet.
    case publishBeforeManifest = "publish:before-manifest"
    /// Cache publish: manifest written into the build directory, not yet renamed into `objects/`.
    case publishBeforeRename = "publish:before-rename"
    /// Cache publish: renamed into `objects/`, before the directory fsync and checkpoint removal.
    case publishAfterRename = "publish:after-rename"
    /// Training checkpoint: the parameters file is written, the optimizer state not yet.
    case checkpointMidWrite = "checkpoint:mid-write"
    /// Training checkpoint: complete in its temporary directory, not yet renamed to `step-…`.
    case checkpointBeforeRename = "checkpoint:before-rename"
    /// Training checkpoint: renamed into place, older checkpoints not yet pruned.
    case checkpointAfterRename = "checkpoint:after-rename"
    /// Any `AtomicFile.write` (run records, memo, stage JSON): temporary file fsynced, not renamed.
    case atomicWriteBeforeRename = "atomic-write:before-rename"
    /// Materializing an output: the link or copy sits under its temporary name, not renamed.
    case materializeBeforeRename = "materialize:before-rename"

    /// The environment variable that arms one point.
    public static let environmentVariable = "RUNNER_FAILPOINT"

    /// SIGKILLs this process when `self` is the armed point and this is the armed hit number.
    @inline(__always)
    public func hit() {
        guard let armed = FailPoint.armed, armed.point == self else { return }
        armed.count()
    }

    /// The armed point, parsed once from the environment (nil when unset or empty).
    static let armed: Armed? = {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else { return nil }
        do { return try Armed(parsing: text) } catch {
            // A misspelt point would silently disarm a test; fail loudly instead.
            FileHandle.standardError.write(Data("runner: \(error)\n".utf8))
            exit(70)
        }
    }()

    /// One armed point and how many times it has been reached.
    final class Armed: @unchecked Sendable {
        let point: FailPoint
        let killAtHit: Int
        private let lock = NSLock()
        private var hits = 0

        init(parsing text: String) throws {
            let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
            guard let point = FailPoint(rawValue: parts[0]) else {
                throw RunnerError(FailPoint.environmentVariable, "unknown fail point \(parts[0].debugDescription)",
                                  hint: "known points: \(FailPoint.allCases.map(\.rawValue).joined(separator: ", ")), optionally followed by @N (the N-th hit)")
            }
            var killAtHit = 1
            if parts.count == 2 {
                guard let n = Int(parts[1]), n >= 1 else {
                    throw RunnerError(FailPoint.environmentVariable, "hit number \(parts[1].debugDescription) is not a positive integer",
                                      hint: "write \(point.rawValue)@3 to kill at the third hit")
                }
                killAtHit = n
            }
            self.point = point
            self.killAtHit = killAtHit
        }

        func count() {
            lock.lock()
            hits += 1
            let due = hits == killAtHit
            lock.unlock()
            guard due else { return }
            kill(getpid(), SIGKILL)
            while true { pause() }  // the signal is delivered before this process runs on
        }
    }
}
