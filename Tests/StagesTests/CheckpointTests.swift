// Bad checkpoints never crash `train`: a damaged one (altered bytes, truncated file, broken JSON)
// is passed over for the previous good one, with a message; none usable means step 0; one written
// for another setup (here: copied in by hand from a run with another learning rate) is refused.
import Foundation
import Pipeline
import Testing

@Suite(.serialized) struct CheckpointTests {
    enum Damage: String, CaseIterable, Sendable {
        case flippedByte, truncatedFile, brokenManifest, missingManifest

        /// Damages the checkpoint directory `checkpoint`.
        func apply(to checkpoint: URL) throws {
            switch self {
            case .flippedByte:
                let url = checkpoint.appendingPathComponent("trainable.safetensors")
                var bytes = try Data(contentsOf: url)
                bytes[bytes.count - 3] ^= 0x40
                try bytes.write(to: url)
            case .truncatedFile:
                let url = checkpoint.appendingPathComponent("optimizer.safetensors")
                try Data(contentsOf: url).prefix(100).write(to: url)
            case .brokenManifest:
                let url = checkpoint.appendingPathComponent("manifest.json")
                try Data(contentsOf: url).dropLast(20).write(to: url)
            case .missingManifest:
                try FileManager.default.removeItem(at: checkpoint.appendingPathComponent("manifest.json"))
            }
        }

        /// What the log must say about it.
        var message: String {
            switch self {
            case .flippedByte: "trainable.safetensors does not match its SHA-256 in the manifest"
            case .truncatedFile: "optimizer.safetensors has 100 bytes, the manifest says"
            case .brokenManifest: "manifest.json is not valid JSON of a checkpoint"
            case .missingManifest: "manifest.json is missing (the checkpoint is incomplete)"
            }
        }
    }

    /// A straight run's metrics, and a cache holding an interrupted run's checkpoints 10 and 13.
    func interruptedRun(_ project: URL) throws -> (expected: ResumeMetrics, cache: URL, checkpoints: URL) {
        let straightCache = project.appendingPathComponent("cache-straight")
        let straight = try ResumeSupport.apply(project, cache: straightCache)
        let expected = try ResumeMetrics(try ResumeSupport.artifact(straight.record, cache: straightCache))
        let cache = project.appendingPathComponent("cache")
        let interrupted = try ResumeSupport.apply(project, cache: cache, cancelAfter: 13)
        let checkpoints = try ResumeSupport.checkpoints(interrupted.record, cache: cache)
        try #require(ResumeSupport.entries(checkpoints) == ["step-000010", "step-000013"])
        return (expected, cache, checkpoints)
    }

    @Test(arguments: Damage.allCases)
    func aDamagedCheckpointFallsBackToThePreviousOne(_ damage: Damage) throws {
        let project = try ResumeSupport.project(ResumeSupport.recipe(optimizer: "adamw", qlora: false))
        defer { try? FileManager.default.removeItem(at: project) }
        let (expected, cache, checkpoints) = try interruptedRun(project)
        try damage.apply(to: checkpoints.appendingPathComponent("step-000013"))

        let resumed = try ResumeSupport.apply(project, cache: cache)
        #expect(resumed.record.status == .succeeded, "\(resumed.log)")
        let complaint = try #require(resumed.log.first { $0.hasPrefix("checkpoint step-000013 is damaged and cannot be used: ") }, "\(resumed.log)")
        #expect(complaint.contains(damage.message) && complaint.hasSuffix("; trying the previous one"), "\(complaint)")
        #expect(resumed.log.contains { $0.hasPrefix("resuming from step 10 ") }, "\(resumed.log)")
        #expect(try ResumeMetrics(try ResumeSupport.artifact(resumed.record, cache: cache)).bits == expected.bits)
    }

    @Test func withNoUsableCheckpointTrainingStartsOver() throws {
        let project = try ResumeSupport.project(ResumeSupport.recipe(optimizer: "adamw", qlora: false))
        defer { try? FileManager.default.removeItem(at: project) }
        let (expected, cache, checkpoints) = try interruptedRun(project)
        try Damage.flippedByte.apply(to: checkpoints.appendingPathComponent("step-000013"))
        try Damage.brokenManifest.apply(to: checkpoints.appendingPathComponent("step-000010"))

        let resumed = try ResumeSupport.apply(project, cache: cache)
        #expect(resumed.record.status == .succeeded, "\(resumed.log)")
        #expect(resumed.log.contains { $0.hasPrefix("checkpoint step-000013 is damaged") })
        #expect(resumed.log.contains { $0.hasPrefix("checkpoint step-000010 is damaged") })
        #expect(resumed.log.contains { $0.hasPrefix("no usable checkpoint in ") && $0.hasSuffix(": training starts from step 0") }, "\(resumed.log)")
        #expect(resumed.log.contains { $0.hasPrefix("step 1/20") })
        #expect(try ResumeMetrics(try ResumeSupport.artifact(resumed.record, cache: cache)).bits == expected.bits)
    }

    @Test func aCheckpointOfAnotherSetupIsRefused() throws {
        let project = try ResumeSupport.project(ResumeSupport.recipe(optimizer: "adamw", qlora: false))
        defer { try? FileManager.default.removeItem(at: project) }
        let straightCache = project.appendingPathComponent("cache-straight")
        let expected = try ResumeMetrics(try ResumeSupport.artifact(try ResumeSupport.apply(project, cache: straightCache).record, cache: straightCache))

        // Another learning rate: another cache key. Interrupt it, and copy its checkpoint by hand
        // into the checkpoint directory of this recipe's key.
        let other = try ResumeSupport.project(ResumeSupport.recipe(optimizer: "adamw", qlora: false, learningRate: 0.02))
        defer { try? FileManager.default.removeItem(at: other) }
        let cache = project.appendingPathComponent("cache")
        let foreign = try ResumeSupport.apply(other, cache: cache, cancelAfter: 10)
        let foreignCheckpoints = try ResumeSupport.checkpoints(foreign.record, cache: cache)
        let key = try #require(foreign.record.stage(named: "tune")?.key)
        let ownCheckpoints = ArtifactStore(root: cache).checkpointDirectory(for: try ResumeSupport.plannedKey(project, cache: cache))
        #expect(ownCheckpoints != foreignCheckpoints)
        try FileManager.default.createDirectory(at: ownCheckpoints, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: foreignCheckpoints.appendingPathComponent("step-000010"),
                                         to: ownCheckpoints.appendingPathComponent("step-000010"))

        let run = try ResumeSupport.apply(project, cache: cache)
        #expect(run.record.status == .succeeded, "\(run.log)")
        let refusal = try #require(run.log.first { $0.hasPrefix("refusing checkpoint step-000010: ") }, "\(run.log)")
        #expect(refusal.contains("it belongs to cache key \(key.prefix(12))…") && refusal.contains("another recipe, model or dataset"), "\(refusal)")
        #expect(run.log.contains { $0.hasSuffix(": training starts from step 0") })
        #expect(try ResumeMetrics(try ResumeSupport.artifact(run.record, cache: cache)).bits == expected.bits)
        #expect(!FileManager.default.fileExists(atPath: ownCheckpoints.path))
    }

    @Test func aDivergingRunKeepsItsLastGoodCheckpointAndSaysSo() throws {
        let project = try ResumeSupport.project("""
            version: 1
            name: tiny-diverge
            stages:
              base: {kind: load, path: model, dtype: f32}
              data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64}
              tune: {kind: train, model: base, data: data, mode: full, max_steps: 20, batch_size: 4,
                     learning_rate: 1e30, optimizer: sgd, max_grad_norm: 0, save_every: 1}
            """)
        defer { try? FileManager.default.removeItem(at: project) }
        let cache = project.appendingPathComponent("cache")
        let run = try ResumeSupport.apply(project, cache: cache)
        #expect(run.record.status == .failed)
        let checkpoints = try ResumeSupport.checkpoints(run.record, cache: cache)
        let error = try #require(run.record.stage(named: "tune")?.error)
        #expect(error.contains("became") && error.contains("at step 2 (lower learning_rate"), "\(error)")
        #expect(error.contains("the last good checkpoint (step 1, \(checkpoints.path)/step-000001) is kept"), "\(error)")
        #expect(ResumeSupport.entries(checkpoints) == ["step-000001"])
    }
}
