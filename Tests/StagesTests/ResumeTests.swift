// `train` resumes exactly: a run interrupted (or killed) after a checkpoint and run again computes
// the very same losses, evaluations and adapter bytes as an uninterrupted run, through the real
// executor and built-in stages on the tiny model (LoRA dropout on, AdamW and paged 8-bit AdamW).
import Foundation
import Formats
import Pipeline
import Testing

@Suite(.serialized) struct ResumeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var optimizer: String
        var qlora: Bool
        var bf16Matmuls = false
        var testDescription: String { "\(optimizer)\(qlora ? ", QLoRA" : ", LoRA")\(bf16Matmuls ? ", bf16 matmuls" : "")" }
    }

    @Test(arguments: [Case(optimizer: "adamw", qlora: true), Case(optimizer: "paged_adamw_8bit", qlora: false),
                      Case(optimizer: "adamw", qlora: false, bf16Matmuls: true), Case(optimizer: "adamw", qlora: true, bf16Matmuls: true)])
    func resumedRunMatchesAStraightRun(_ setup: Case) throws {
        var recipe = ResumeSupport.recipe(optimizer: setup.optimizer, qlora: setup.qlora)
        if setup.bf16Matmuls { recipe = recipe.replacingOccurrences(of: "save_every: 5}", with: "save_every: 5, matmul_precision: bf16}") }
        let project = try ResumeSupport.project(recipe)
        defer { try? FileManager.default.removeItem(at: project) }

        // Uninterrupted.
        let straightCache = project.appendingPathComponent("cache-straight")
        let straight = try ResumeSupport.apply(project, cache: straightCache)
        #expect(straight.record.status == .succeeded, "\(straight.log)")
        let straightArtifact = try ResumeSupport.artifact(straight.record, cache: straightCache)
        let expected = try ResumeMetrics(straightArtifact)
        #expect(expected.steps.map(\.step) == Array(1...20) && expected.eval.map(\.step) == [5, 10, 15, 20])
        #expect(!FileManager.default.fileExists(atPath: try ResumeSupport.checkpoints(straight.record, cache: straightCache).path),
                "checkpoints are deleted once the artifact is published")

        // Interrupted after step 13: checkpoints 10 (periodic) and 13 (on interruption) remain.
        let cache = project.appendingPathComponent("cache")
        let interrupted = try ResumeSupport.apply(project, cache: cache, cancelAfter: 13)
        #expect(interrupted.record.status == .interrupted)
        #expect(interrupted.record.stage(named: "tune")?.key == straight.record.stage(named: "tune")?.key)
        let checkpoints = try ResumeSupport.checkpoints(interrupted.record, cache: cache)
        #expect(ResumeSupport.entries(checkpoints) == ["step-000010", "step-000013"], "the last two good checkpoints are kept")
        #expect(interrupted.log.contains { $0.contains("interrupted after step 13 of 20") && $0.contains("Run the same command again to resume") },
                "\(interrupted.log)")
        let optimizerState = try SafetensorsFile(contentsOf: checkpoints.appendingPathComponent("step-000010/optimizer.safetensors"))
        let names = Set(optimizerState.tensors.map(\.name))
        #expect(names.contains("step"))
        if setup.optimizer == "paged_adamw_8bit" {
            #expect(names.contains("base_model.model.model.embed_tokens.weight.absmax1"), "the embedding's moments are 8-bit: \(names.sorted())")
            #expect(names.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight.state1"))
        } else {
            #expect(names.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight.exp_avg_sq"))
        }

        // A kill after step 13 would have left only the periodic checkpoint of step 10.
        try FileManager.default.removeItem(at: checkpoints.appendingPathComponent("step-000013"))
        let resumed = try ResumeSupport.apply(project, cache: cache)
        #expect(resumed.record.status == .succeeded, "\(resumed.log)")
        #expect(resumed.log.contains { $0.hasPrefix("resuming from step 10 (checkpoint ") && $0.hasSuffix("step-000010)") }, "\(resumed.log)")
        #expect(resumed.log.contains { $0.hasPrefix("step 11/20") } && !resumed.log.contains { $0.hasPrefix("step 10/20") }, "\(resumed.log)")
        let artifact = try ResumeSupport.artifact(resumed.record, cache: cache)
        let metrics = try ResumeMetrics(artifact)
        #expect(metrics.bits == expected.bits, "resumed: \(metrics.steps.map(\.loss))\nstraight: \(expected.steps.map(\.loss))")
        let adapter = "adapter_model.safetensors"
        #expect(try Data(contentsOf: artifact.appendingPathComponent(adapter)) == Data(contentsOf: straightArtifact.appendingPathComponent(adapter)),
                "the trained adapter is byte-identical")
        #expect(!FileManager.default.fileExists(atPath: checkpoints.path))
    }

    @Test func sgdWithMomentumResumesFromTheInterruptionCheckpoint() throws {
        let project = try ResumeSupport.project(ResumeSupport.recipe(optimizer: "sgd", qlora: false, learningRate: 0.05, saveEvery: 100)
            .replacingOccurrences(of: "save_every: 100}", with: "save_every: 100, momentum: 0.9}"))
        defer { try? FileManager.default.removeItem(at: project) }
        let straightCache = project.appendingPathComponent("cache-straight")
        let straight = try ResumeSupport.apply(project, cache: straightCache)
        let expected = try ResumeMetrics(try ResumeSupport.artifact(straight.record, cache: straightCache))

        let cache = project.appendingPathComponent("cache")
        let interrupted = try ResumeSupport.apply(project, cache: cache, cancelAfter: 7)
        #expect(interrupted.record.status == .interrupted)
        #expect(ResumeSupport.entries(try ResumeSupport.checkpoints(interrupted.record, cache: cache)) == ["step-000007"])
        let resumed = try ResumeSupport.apply(project, cache: cache)
        #expect(resumed.log.contains { $0.hasPrefix("resuming from step 7 ") }, "\(resumed.log)")
        #expect(try ResumeMetrics(try ResumeSupport.artifact(resumed.record, cache: cache)).bits == expected.bits)
    }
}
