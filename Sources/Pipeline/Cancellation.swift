// Cooperative cancellation: the CLI flips the flag on SIGINT; stages poll it between steps and
// stop by throwing `StageCancelled`.
import Foundation

/// A thread-safe, one-way flag.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}

    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}

/// Thrown by `StageContext.checkCancellation()` once the run was interrupted.
public struct StageCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted" }
}
