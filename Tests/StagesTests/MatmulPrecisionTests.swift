// `train`'s `matmul_precision`: bf16 matmuls (inputs rounded to bf16, f32 accumulation) train the
// tiny model about as f32 does — apart by bf16 rounding, not more — on dense and quantized bases,
// the param is part of the cache key, and full fine-tuning refuses it.
import CPUBackend
import Foundation
import Pipeline
import Testing

@Suite struct MatmulPrecisionTests {
    /// Whether this CPU has bf16 units (AVX-512 BF16 or AMX); without, `train` multiplies in f32.
    static let bf16Available = (try? CPUBackend(matmulPrecision: .bf16)) != nil

    static func losses(_ stage: String, _ record: RunRecord, _ store: ArtifactStore) throws -> [Double] {
        let url = try QuantizeSupport.artifact(stage, record, store).appendingPathComponent("metrics.json")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try #require((metrics["steps"] as? [[String: Any]])?.compactMap { $0["loss"] as? Double })
    }

    @Test func bf16MatmulsTrainLikeF32UpToBF16Rounding() throws {
        let project = try QuantizeSupport.project()
        defer { try? FileManager.default.removeItem(at: project) }
        let (record, store) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              adapters: {kind: lora, from: base, r: 4, alpha: 8, dropout: 0}
              data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
              exact: {kind: train, model: adapters, data: data, max_steps: 8, batch_size: 4, learning_rate: 0.01, scheduler: constant}
              rounded: {kind: train, model: adapters, data: data, max_steps: 8, batch_size: 4, learning_rate: 0.01, scheduler: constant,
                        matmul_precision: bf16}
            """, in: project)
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        let f32 = try Self.losses("exact", record, store), bf16 = try Self.losses("rounded", record, store)
        #expect(f32.count == 8 && bf16.count == 8 && bf16.allSatisfy(\.isFinite))
        #expect(bf16[6...].reduce(0, +) < bf16[..<2].reduce(0, +) - 0.2, "bf16 training lowers the loss: \(bf16)")
        #expect(record.stage(named: "rounded")?.metrics["bf16_matmuls"] == (Self.bf16Available ? 1 : 0))
        #expect(record.stage(named: "exact")?.metrics["bf16_matmuls"] == 0)
        // The first step sees the same weights: its loss differs only by bf16 rounding of the base
        // matmuls (≈ 2⁻⁸ relative per product), yet does differ — the bf16 path is really taken.
        let firstStepError = abs(bf16[0] - f32[0]) / f32[0]
        #expect(firstStepError < 1e-2, "bf16 vs f32 first loss: \(bf16[0]) vs \(f32[0])")
        if Self.bf16Available { #expect(firstStepError > 1e-7, "bf16 matmuls change the loss: \(bf16[0]) vs \(f32[0])") }
        for (a, b) in zip(bf16, f32) { #expect(abs(a - b) / b < 5e-2, "bf16 \(bf16) vs f32 \(f32)") }
    }

    @Test func quantizedBasesTakeThePrecisionAndTheKeyFollowsIt() throws {
        let project = try QuantizeSupport.project()
        defer { try? FileManager.default.removeItem(at: project) }
        func tuneStage(train: String = "") throws -> RunRecord.Stage {
            let (record, _) = try QuantizeSupport.apply("""
                  base: {kind: load, path: model, dtype: f32}
                  quant: {kind: quantize, from: base}
                  adapters: {kind: lora, from: quant, r: 4, alpha: 8, dropout: 0}
                  data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
                  tune: {kind: train, model: adapters, data: data, max_steps: 2, batch_size: 4\(train)}
                """, in: project)
            #expect(record.status == .succeeded, "\(record.error ?? "")")
            return try #require(record.stage(named: "tune"))
        }
        let byDefault = try tuneStage()
        let bf16 = try tuneStage(train: ", matmul_precision: bf16")
        // The run record holds canonical params as JSON text.
        #expect(byDefault.params["matmul_precision"] == #""f32""# && bf16.params["matmul_precision"] == #""bf16""#)
        #expect(byDefault.key != bf16.key)
        #expect(byDefault.metrics["bf16_matmuls"] == 0 && bf16.metrics["bf16_matmuls"] == (Self.bf16Available ? 1 : 0))
    }

    @Test func denseKeysDifferByPrecision() throws {
        func key(_ precision: String) throws -> String {
            let recipe = ResumeSupport.recipe(optimizer: "adamw", qlora: false)
                .replacingOccurrences(of: "save_every: 5}", with: "save_every: 5, matmul_precision: \(precision)}")
            let project = try ResumeSupport.project(recipe)
            defer { try? FileManager.default.removeItem(at: project) }
            return try ResumeSupport.plannedKey(project, cache: project.appendingPathComponent("cache"))
        }
        // A checkpoint lives under its stage's key, so one made in f32 is never resumed in bf16.
        #expect(try key("f32") != key("bf16"))
    }

    @Test func fullFineTuningRefusesBF16() throws {
        let project = try QuantizeSupport.project()
        defer { try? FileManager.default.removeItem(at: project) }
        let (record, _) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
              tune: {kind: train, mode: full, model: base, data: data, max_steps: 2, batch_size: 4, matmul_precision: bf16}
            """, in: project)
        #expect(record.status == .failed)
        let error = record.stage(named: "tune")?.error ?? ""
        #expect(error.contains("matmul_precision") && error.contains("full fine-tuning multiplies its f32 master weights")
                && error.contains("use matmul_precision: f32 with mode: full"), "\(error)")
    }
}
