// The checkpoint directory of one `train` stage (`<cache>/checkpoints/<key>/step-NNNNNN/`): writes
// a checkpoint atomically (temporary directory, fsync, rename), keeps the last two good ones, and
// finds the newest usable one to resume from, falling back past damaged or foreign ones.
import Basics
import Formats
import Foundation
import Models
import Training
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints of one training run. Not thread-safe; the training loop drives it.
final class TrainCheckpointStore {
    /// Good checkpoints kept on disk (the newest, and one before it should the newest be damaged).
    static let kept = 2

    let directory: URL
    let fingerprint: TrainCheckpointFingerprint
    /// Steps of the checkpoints known good (resumed from or written by this run), oldest first.
    private(set) var goodSteps: [Int] = []

    init(directory: URL, fingerprint: TrainCheckpointFingerprint) {
        self.directory = directory
        self.fingerprint = fingerprint
    }

    /// The directory of the checkpoint after `step` steps.
    func url(step: Int) -> URL { directory.appendingPathComponent(TrainCheckpointManifest.directoryName(step: step)) }

    /// The newest good checkpoint's step, if any.
    var latestStep: Int? { goodSteps.last }

    // MARK: Writing

    /// Writes the checkpoint after `step` completed steps, replacing any directory of that name,
    /// then deletes every checkpoint but the last `kept` good ones. Nothing named `step-…` is ever
    /// half-written: the files go to a temporary directory that is renamed into place.
    @discardableResult
    func save(step: Int, model: TrainableModel, optimizer: any Optimizer, progress: TrainProgressState) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = TrainCheckpointManifest.directoryName(step: step)
        let temporary = directory.appendingPathComponent(".tmp-\(name)-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try fm.createDirectory(at: temporary, withIntermediateDirectories: false)
        var published = false
        defer { if !published { try? fm.removeItem(at: temporary) } }

        try SafetensorsWriter.write(TrainCheckpointTensors.parameters(model), metadata: ["format": "pt"],
                                    to: temporary.appendingPathComponent(TrainCheckpointManifest.parametersFile))
        FailPoint.checkpointMidWrite.hit()
        try SafetensorsWriter.write(TrainCheckpointTensors.optimizerState(optimizer),
                                    to: temporary.appendingPathComponent(TrainCheckpointManifest.optimizerFile))
        try StageJSON.write(progress, to: temporary.appendingPathComponent(TrainCheckpointManifest.progressFile))
        var files: [String: TrainCheckpointManifest.File] = [:]
        for file in TrainCheckpointManifest.requiredFiles {
            let url = temporary.appendingPathComponent(file)
            files[file] = .init(size: try Self.size(of: url), sha256: try Digest.sha256Hex(fileAt: url))
        }
        let manifest = TrainCheckpointManifest(format: TrainCheckpointManifest.currentFormat, step: step, fingerprint: fingerprint,
                                               files: files, createdAt: ISO8601DateFormatter().string(from: Date()))
        try StageJSON.write(manifest, to: temporary.appendingPathComponent(TrainCheckpointManifest.fileName))
        AtomicFile.syncDirectory(temporary)

        let destination = url(step: step)
        if fm.fileExists(atPath: destination.path) { try discard(destination) }
        FailPoint.checkpointBeforeRename.hit()
        guard rename(temporary.path, destination.path) == 0 else {
            throw RunnerError(destination.path, "cannot move the checkpoint into place: \(String(cString: strerror(errno)))")
        }
        published = true
        FailPoint.checkpointAfterRename.hit()
        AtomicFile.syncDirectory(directory)
        goodSteps.removeAll { $0 == step }
        goodSteps.append(step)
        prune()
        return destination
    }

    /// Deletes every entry except the last `kept` good checkpoints (older, damaged, foreign ones,
    /// and temporaries left by a killed run).
    private func prune() {
        let keep = Set(goodSteps.suffix(Self.kept).map(TrainCheckpointManifest.directoryName(step:)))
        goodSteps = Array(goodSteps.suffix(Self.kept))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where !keep.contains(name) {
            try? discard(directory.appendingPathComponent(name))
        }
    }

    /// Removes a directory: renamed aside first, so a crash midway never leaves a damaged `step-…`.
    private func discard(_ url: URL) throws {
        let trash = directory.appendingPathComponent(".trash-\(url.lastPathComponent)-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        guard rename(url.path, trash.path) == 0 else {
            throw RunnerError(url.path, "cannot remove the old checkpoint: \(String(cString: strerror(errno)))")
        }
        try FileManager.default.removeItem(at: trash)
    }

    // MARK: Resuming

    /// Why a checkpoint directory cannot be resumed.
    enum Problem: Error {
        /// Incomplete, truncated, altered or unreadable.
        case damaged(String)
        /// Intact, but written for another training setup.
        case foreign(String)
    }

    /// Restores the model and optimizer from the newest usable checkpoint and returns its step and
    /// progress, or nil (model and optimizer untouched) when there is none. Never throws: each
    /// checkpoint it passes over gets a line in `log` saying why, and the previous one is tried.
    func resume(model: TrainableModel, optimizer: any Optimizer, log: (String) -> Void) -> (step: Int, progress: TrainProgressState)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let candidates = names.compactMap(TrainCheckpointManifest.step(ofDirectoryName:)).sorted(by: >)
        var passedOver = false
        for step in candidates {
            let url = url(step: step)
            do {
                let progress = try restore(from: url, step: step, model: model, optimizer: optimizer)
                goodSteps = [step]
                log("resuming from step \(step) (checkpoint \(url.path))")
                return (step, progress)
            } catch Problem.damaged(let why) {
                log("checkpoint \(url.lastPathComponent) is damaged and cannot be used: \(why); trying the previous one")
                passedOver = true
            } catch Problem.foreign(let why) {
                log("refusing checkpoint \(url.lastPathComponent): \(why); trying the previous one (this run's checkpoints will replace it)")
                passedOver = true
            } catch {
                log("checkpoint \(url.lastPathComponent) cannot be used: \(error); trying the previous one")
                passedOver = true
            }
        }
        if passedOver { log("no usable checkpoint in \(directory.path): training starts from step 0") }
        return nil
    }

    /// Verifies one checkpoint completely, then loads it. Throws `Problem` before changing anything.
    private func restore(from url: URL, step: Int, model: TrainableModel, optimizer: any Optimizer) throws -> TrainProgressState {
        let manifest = try readManifest(url, step: step)
        if let why = fingerprint.mismatch(manifest.fingerprint) { throw Problem.foreign(why) }
        guard step <= fingerprint.totalSteps else { throw Problem.damaged("it is after step \(step) of a \(fingerprint.totalSteps)-step run") }
        for file in TrainCheckpointManifest.requiredFiles {
            guard let entry = manifest.files[file] else { throw Problem.damaged("manifest.json lists no \(file)") }
            let fileURL = url.appendingPathComponent(file)
            guard let size = try? Self.size(of: fileURL) else { throw Problem.damaged("\(file) is missing") }
            guard size == entry.size else { throw Problem.damaged("\(file) has \(size) bytes, the manifest says \(entry.size) (truncated?)") }
            guard let digest = try? Digest.sha256Hex(fileAt: fileURL), digest == entry.sha256 else {
                throw Problem.damaged("\(file) does not match its SHA-256 in the manifest")
            }
        }
        let progress = try damaged("progress.json") {
            try JSONDecoder().decode(TrainProgressState.self, from: Data(contentsOf: url.appendingPathComponent(TrainCheckpointManifest.progressFile)))
        }
        guard progress.steps.map(\.step) == Array(0..<step).map({ $0 + 1 }) else {
            throw Problem.damaged("progress.json records \(progress.steps.count) steps, the checkpoint is after step \(step)")
        }
        let values = try damaged("trainable tensors") {
            try TrainCheckpointTensors.readParameters(try SafetensorsFile(contentsOf: url.appendingPathComponent(TrainCheckpointManifest.parametersFile)), for: model)
        }
        let state = try damaged("optimizer state") {
            try TrainCheckpointTensors.readOptimizerState(try SafetensorsFile(contentsOf: url.appendingPathComponent(TrainCheckpointManifest.optimizerFile)))
        }
        guard let count = state["step"]?.int64Value, count == step else {
            throw Problem.damaged("the optimizer state's step count is not \(step)")
        }
        try damaged("optimizer state") { try optimizer.loadState(state) }  // checks everything before changing anything
        TrainCheckpointTensors.restore(values, into: model)
        return progress
    }

    private func readManifest(_ url: URL, step: Int) throws -> TrainCheckpointManifest {
        let manifestURL = url.appendingPathComponent(TrainCheckpointManifest.fileName)
        guard let size = try? Self.size(of: manifestURL) else { throw Problem.damaged("manifest.json is missing (the checkpoint is incomplete)") }
        guard size <= 1 << 20 else { throw Problem.damaged("manifest.json is \(size) bytes, far more than a manifest holds") }
        let manifest = try damaged("manifest.json") { try JSONDecoder().decode(TrainCheckpointManifest.self, from: Data(contentsOf: manifestURL)) }
        guard manifest.format == TrainCheckpointManifest.currentFormat else {
            throw Problem.damaged("manifest.json has format \(manifest.format); this runner reads format \(TrainCheckpointManifest.currentFormat)")
        }
        guard manifest.step == step else { throw Problem.damaged("manifest.json says step \(manifest.step), the directory name step \(step)") }
        return manifest
    }

    /// Runs `body`, turning any error into `Problem.damaged` naming `what`.
    private func damaged<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let problem as Problem { throw problem } catch let error as DecodingError {
            throw Problem.damaged("\(what) is not valid JSON of a checkpoint (\(Self.describe(error)))")
        } catch {
            throw Problem.damaged("\(what) cannot be read: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Removes temporaries and trash left by a killed run (call before training starts; the
    /// executor's build lock makes this run the only one using the directory).
    func sweepTemporaries() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".tmp-") || name.hasPrefix(".trash-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    private static func size(of url: URL) throws -> Int64 {
        var st = stat()
        guard stat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw RunnerError(url.path, "is missing or not a regular file")
        }
        return Int64(st.st_size)
    }
}
