// What the executor reports while it works, for live progress on a terminal and for log.txt.
// `StageProgress` is the stage-facing half: start/advance/log.
import Foundation

/// One thing that happened during `apply`.
public enum ExecutionEvent: Sendable {
    case runStarted(runID: String, stageCount: Int)
    /// The artifact is taken from the cache. `builtElsewhere`: another process just built it.
    case stageCached(name: String, index: Int, builtElsewhere: Bool)
    case stageSkipped(name: String, index: Int, reason: String)
    case waitingForLock(name: String)
    case stageStarted(name: String, kind: String, index: Int, reasons: [String])
    /// Progress of a running stage; `total` nil when unknown.
    case progress(name: String, completed: Int, total: Int?, unit: String)
    /// A short live status shown beside a running stage's progress (`loss 2.3141  812 tok/s`);
    /// replaced by the next one, not logged.
    case progressDetail(name: String, detail: String)
    case log(name: String, message: String)
    case stageFinished(name: String, seconds: Double, metrics: [String: Double])
    case stageFailed(name: String, message: String)
    case materialized(name: String, path: String)
    case runFinished(status: RunRecord.Status, seconds: Double)
}

/// Receives events (terminal renderer, log file, tests). Called on the executing thread.
public protocol ExecutionObserver: Sendable {
    func handle(_ event: ExecutionEvent)
}

/// Fans events out to several observers.
public struct ObserverGroup: ExecutionObserver {
    public var observers: [any ExecutionObserver]
    public init(_ observers: [any ExecutionObserver]) { self.observers = observers }
    public func handle(_ event: ExecutionEvent) { for o in observers { o.handle(event) } }
}

/// A stage's progress reporter.
///
///     context.progress.start(total: steps, unit: "steps")
///     for step in 0..<steps { …; context.progress.advance() }
public final class StageProgress: @unchecked Sendable {
    private let stageName: String
    private let observer: any ExecutionObserver
    private let lock = NSLock()
    private var completed = 0
    private var total: Int?
    private var unit = "steps"

    public init(stageName: String, observer: any ExecutionObserver) {
        self.stageName = stageName
        self.observer = observer
    }

    /// Begins (or restarts) counting toward `total` (nil: unknown), from `completed` units already
    /// done (a resumed stage; rates and ETAs count only what this run does).
    public func start(total: Int?, unit: String = "steps", completed: Int = 0) {
        lock.lock()
        self.total = total
        self.unit = unit
        self.completed = completed
        lock.unlock()
        emit()
    }

    /// Adds `n` completed units.
    public func advance(_ n: Int = 1) {
        lock.lock()
        completed += n
        lock.unlock()
        emit()
    }

    /// Sets the completed count.
    public func update(completed: Int) {
        lock.lock()
        self.completed = completed
        lock.unlock()
        emit()
    }

    /// Sets the live status shown beside the progress (e.g. the latest loss); not written to the log.
    public func detail(_ text: String) {
        observer.handle(.progressDetail(name: stageName, detail: text))
    }

    /// A line for the log.
    public func log(_ message: String) {
        observer.handle(.log(name: stageName, message: message))
    }

    private func emit() {
        lock.lock()
        let event = ExecutionEvent.progress(name: stageName, completed: completed, total: total, unit: unit)
        lock.unlock()
        observer.handle(event)
    }
}
