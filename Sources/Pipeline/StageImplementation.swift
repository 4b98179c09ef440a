// The seam between the pipeline and compute: one `StageImplementation` per stage kind (module
// Stages, one file per kind). The executor hands it a `StageContext` and publishes what it writes.
import Basics
import Foundation
import Recipe

/// Runs one stage kind. Implementations are stateless values; `run` may be called for many stages.
///
/// Contract: `run` writes the stage's whole output under `context.outputDirectory` (an empty
/// directory inside the cache) and nothing elsewhere; reads its inputs only through
/// `context.inputs` and `context.stage` (params, `inputFiles`); reports progress through
/// `context.progress`; calls `context.checkCancellation()` between steps. Throwing fails the stage
/// and nothing is published. Bump `version` whenever the output for the same inputs changes: it is
/// part of the cache key.
///
/// Long stages may also keep resumable state in `context.checkpointDirectory`
/// (`<cache>/checkpoints/<cache key>/`), the one place outside `outputDirectory` a stage may write.
/// It survives a failed, interrupted or killed run, so the next run of the same stage (same key:
/// same params and inputs) can continue from it; the executor deletes it once the stage's artifact
/// is published, and `runner cache gc` deletes those of keys no recent run references. What goes
/// in it, and how it is validated before use, is the stage's business (see `train`).
public protocol StageImplementation: Sendable {
    /// The stage kind this implements (`load`, `quantize`, …).
    static var kind: String { get }
    /// Implementation version, hashed into the cache key.
    static var version: Int { get }
    func run(_ context: StageContext) throws -> StageResult
}

/// An upstream stage's published artifact, as a stage sees it.
public struct InputArtifact: Sendable {
    /// The upstream stage's name in the recipe.
    public var stageName: String
    public var key: String
    /// The artifact's files (read-only; never write here).
    public var directory: URL
    public var manifest: ArtifactManifest
    /// The artifacts this one was built from, by their input role (recursively), so a stage can
    /// reach e.g. the base weights behind an adapter without copying them into every artifact.
    public var inputs: [String: InputArtifact]

    public init(stageName: String, key: String, directory: URL, manifest: ArtifactManifest, inputs: [String: InputArtifact] = [:]) {
        self.stageName = stageName
        self.key = key
        self.directory = directory
        self.manifest = manifest
        self.inputs = inputs
    }

    /// This artifact's own input for `role` (e.g. `context.input("model").upstream("from")`).
    public func upstream(_ role: String) throws -> InputArtifact {
        guard let artifact = inputs[role] else {
            throw RunnerError("artifact of stage `\(stageName)`", "has no input `\(role)`",
                              hint: "its inputs: \(inputs.keys.sorted().joined(separator: ", "))")
        }
        return artifact
    }

    /// The artifact's single file, when the upstream stage declared one (`StageResult.primaryFile`).
    public var primaryFile: URL? { manifest.primaryFile.map { directory.appendingPathComponent($0) } }

    /// A file of the artifact by relative path.
    public func file(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }
}

/// What `run` returns: metrics for run records and reports, and optionally the one file that is the
/// artifact (so `outputPath` materializes as that file instead of a directory).
public struct StageResult: Sendable {
    public var metrics: [String: Double]
    /// Path relative to `outputDirectory`.
    public var primaryFile: String?

    public init(metrics: [String: Double] = [:], primaryFile: String? = nil) {
        self.metrics = metrics
        self.primaryFile = primaryFile
    }
}

/// Everything a stage may use while running.
public struct StageContext: Sendable {
    /// The stage as compiled: name, kind, typed params (defaults filled), input files, location.
    public let stage: StageInstance
    /// Upstream artifacts by input role (`StageInstance.inputs`).
    public let inputs: [String: InputArtifact]
    /// Where to write the output (empty, inside the cache's tmp/, published on success).
    public let outputDirectory: URL
    /// The recipe's seed. Stages whose output depends on randomness get it as their `seed` param
    /// too (the compiler adds it for kinds that use it), and that param is what the cache key sees.
    public let seed: Int64
    /// The recipe's directory (relative paths in params resolve against it).
    public let projectDirectory: URL
    /// Progress and log lines (shown live, written to the run's log.txt).
    public let progress: StageProgress
    /// The stage's cache key (what its artifact will be published under); nil when the stage runs
    /// outside an executor.
    public let cacheKey: String?
    /// Where the stage may keep state that must outlive a killed run, to resume from: created on
    /// demand by the stage, kept when the stage fails or is interrupted, deleted by the executor
    /// after the artifact is published. `<cache root>/checkpoints/<cache key>/` under the executor;
    /// nil (keep no such state) otherwise.
    public let checkpointDirectory: URL?
    let cancellation: CancellationFlag

    public init(stage: StageInstance, inputs: [String: InputArtifact], outputDirectory: URL, seed: Int64,
                projectDirectory: URL, progress: StageProgress, cancellation: CancellationFlag,
                cacheKey: String? = nil, checkpointDirectory: URL? = nil) {
        self.stage = stage
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.seed = seed
        self.projectDirectory = projectDirectory
        self.progress = progress
        self.cancellation = cancellation
        self.cacheKey = cacheKey
        self.checkpointDirectory = checkpointDirectory
    }

    /// The artifact for an input role; throws a message naming the stage when the recipe has no such input.
    public func input(_ role: String) throws -> InputArtifact {
        guard let artifact = inputs[role] else {
            throw RunnerError("stage `\(stage.name)`", "has no input `\(role)`",
                              hint: "inputs: \(inputs.keys.sorted().joined(separator: ", "))")
        }
        return artifact
    }

    /// The absolute URL of an input file by its param key path (e.g. `path`, `source.file`).
    public func inputFile(_ keyPath: String) throws -> URL {
        guard let url = stage.inputFiles[keyPath] else {
            throw RunnerError("stage `\(stage.name)`", "has no input file `\(keyPath)`")
        }
        return url
    }

    public var isCancelled: Bool { cancellation.isCancelled }

    /// Throws `StageCancelled` once the run was interrupted (Ctrl-C). Call between steps.
    public func checkCancellation() throws {
        if cancellation.isCancelled { throw StageCancelled() }
    }

    /// A line for the run log (and the terminal).
    public func log(_ message: String) { progress.log(message) }
}
