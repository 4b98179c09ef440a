// What the CLI is given by its executable: the stage implementations it can run and the stage
// kinds recipes may use. `runner` passes the shipped ones; the test kit adds test-only kinds.
import Foundation
import Pipeline
import Recipe

public struct RunnerEnvironment: Sendable {
    public var registry: StageRegistry
    /// The stage kinds recipes may use (validation, compilation, schema).
    public var catalog: StageCatalog
    /// Process environment variables (RUNNER_CACHE).
    public var variables: [String: String]

    public init(registry: StageRegistry, catalog: StageCatalog = .builtin,
                variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.registry = registry
        self.catalog = catalog
        self.variables = variables
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var stored: RunnerEnvironment?

    /// The environment of the command being run (set by `RunnerCommand.run`).
    static var current: RunnerEnvironment {
        get {
            lock.lock()
            defer { lock.unlock() }
            guard let stored else { preconditionFailure("RunnerCommand.run(_:environment:) sets the environment first") }
            return stored
        }
        set {
            lock.lock()
            stored = newValue
            lock.unlock()
        }
    }
}
