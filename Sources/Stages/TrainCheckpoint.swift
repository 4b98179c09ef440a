// What a `train` checkpoint is: the manifest of one `step-NNNNNN/` directory (format, step,
// fingerprint, SHA-256 of every file), the fingerprint a checkpoint must match to be resumed, and
// the loop's progress so far (metrics records, token count, time).
import Basics
import Foundation

/// Everything about the training setup that a checkpoint's tensors depend on. A checkpoint is
/// resumed only when its fingerprint equals the running stage's.
struct TrainCheckpointFingerprint: Codable, Equatable {
    /// The stage's cache key (covers the recipe params, the model and dataset artifacts, and the
    /// implementation version); nil when the stage runs outside an executor.
    var cacheKey: String?
    /// `train v<implementation version>`.
    var implementation: String
    /// `lora` or `full`.
    var mode: String
    /// The recipe's optimizer name (`adamw`, `paged_adamw_8bit`, …).
    var optimizer: String
    var totalSteps: Int
    /// SHA-256 over `name dims` of every trainable tensor, in model order.
    var parameters: String

    init(cacheKey: String?, implementation: String, mode: String, optimizer: String, totalSteps: Int,
         parameters: [(name: String, shape: [Int])]) {
        self.cacheKey = cacheKey
        self.implementation = implementation
        self.mode = mode
        self.optimizer = optimizer
        self.totalSteps = totalSteps
        self.parameters = Digest.sha256Hex(parameters.map { "\($0.name) \($0.shape.map(String.init).joined(separator: "x"))\n" }.joined())
    }

    /// Why a checkpoint written with `written` cannot resume this setup (`self`), or nil when it can.
    func mismatch(_ written: TrainCheckpointFingerprint) -> String? {
        func short(_ key: String?) -> String { key.map { String($0.prefix(12)) + "…" } ?? "none" }
        if written.cacheKey != cacheKey {
            return "it belongs to cache key \(short(written.cacheKey)), this stage's is \(short(cacheKey)) (another recipe, model or dataset)"
        }
        if written.implementation != implementation { return "it was written by \(written.implementation), this is \(implementation)" }
        if written.mode != mode { return "it trains in \(written.mode) mode, this stage in \(mode) mode" }
        if written.optimizer != optimizer { return "it holds \(written.optimizer) optimizer state, this stage uses \(optimizer)" }
        if written.totalSteps != totalSteps { return "it is part of a \(written.totalSteps)-step run, this one has \(totalSteps) steps" }
        if written.parameters != parameters { return "its trainable tensors (names or shapes) differ from this model's" }
        return nil
    }
}

/// The training loop's position and history at a checkpoint: what `metrics.json` will hold.
struct TrainProgressState: Codable, Equatable {
    var steps: [StepRecord] = []
    var evals: [EvalRecord] = []
    /// Real (non-padding) tokens seen so far.
    var tokens = 0
    /// Training seconds so far, over every run that contributed.
    var seconds = 0.0
}

/// `manifest.json` of one checkpoint directory. Written last, so a directory without a readable
/// manifest is incomplete.
struct TrainCheckpointManifest: Codable {
    static let currentFormat = 1
    static let fileName = "manifest.json"
    /// Tensors of the trainable parameters (f32, by parameter name).
    static let parametersFile = "trainable.safetensors"
    /// The optimizer's `stateTensors()` (moments, 8-bit codes and absmax, momentum, `step`).
    static let optimizerFile = "optimizer.safetensors"
    /// `TrainProgressState` as JSON.
    static let progressFile = "progress.json"
    static let requiredFiles = [parametersFile, optimizerFile, progressFile]

    struct File: Codable, Equatable {
        var size: Int64
        var sha256: String
    }

    var format: Int
    /// Optimizer steps completed (the next step to run, 0-based).
    var step: Int
    var fingerprint: TrainCheckpointFingerprint
    /// Every other file of the directory, by name.
    var files: [String: File]
    var createdAt: String

    /// The directory name of the checkpoint after `step` steps: `step-000010`.
    static func directoryName(step: Int) -> String { String(format: "step-%06d", step) }

    /// The step of a checkpoint directory name, or nil for other names.
    static func step(ofDirectoryName name: String) -> Int? {
        guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0,
              name == directoryName(step: step) else { return nil }
        return step
    }
}
