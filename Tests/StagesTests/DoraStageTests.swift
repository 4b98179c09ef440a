// `use_dora: true` on the `lora` stage end to end on the tiny Llama: train (dense and NF4 bases, with
// dropout), save in PEFT layout (`use_dora: true`, one `lora_magnitude_vector` per adapted Linear),
// merge; `use_dora` is part of the cache key; DoRA on an embedding is refused with a clear error.
import Foundation
import Formats
import Models
import Pipeline
import Testing

@Suite struct DoraStageTests {
    @Test(arguments: [false, true])
    func trainsSavesAndMergesADoraAdapter(nf4: Bool) throws {
        let project = try QuantizeSupport.project()
        let from = nf4 ? "prep" : "base"
        let (record, store) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              quant: {kind: quantize, from: base, method: nf4}
              prep: {kind: prepare_kbit, from: quant}
              adapters: {kind: lora, from: \(from), r: 4, alpha: 8, dropout: 0.1, use_dora: true}
              data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 32}
              tune: {kind: train, model: adapters, data: data, max_steps: 8, batch_size: 4, learning_rate: 0.01, scheduler: constant}
              out: {kind: save, from: tune, path: adapter}
              merged: {kind: merge, adapter: out, base: \(from), dtype: f32}
            """, in: project)
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        let saved = try QuantizeSupport.artifact("out", record, store)
        let config = try PeftAdapterConfig.load(from: saved.appendingPathComponent("adapter_config.json"))
        #expect(config.useDora)
        let file = try SafetensorsFile(contentsOf: saved.appendingPathComponent("adapter_model.safetensors"))
        let magnitudes = file.tensors.filter { $0.name.hasSuffix(".lora_magnitude_vector") }
        #expect(magnitudes.count == 2 * 7)
        #expect(magnitudes.contains { $0.name == "base_model.model.model.layers.0.mlp.gate_proj.lora_magnitude_vector" && $0.shape == [128] })
        let adapter = try PeftAdapter.open(saved)
        #expect(adapter.deltas.allSatisfy { $0.magnitude != nil })

        let metricsURL = try QuantizeSupport.artifact("tune", record, store).appendingPathComponent("metrics.json")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: metricsURL)) as? [String: Any])
        let losses = try #require((metrics["steps"] as? [[String: Any]])?.compactMap { $0["loss"] as? Double })
        #expect(losses.count == 8 && losses.allSatisfy(\.isFinite))
        #expect(losses[6...].reduce(0, +) < losses[..<2].reduce(0, +) - 0.2, "loss should fall: \(losses)")

        let merged = try QuantizeSupport.artifact("merged", record, store)
        #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent("model.safetensors").path))
    }

    @Test func useDoraIsPartOfTheCacheKey() throws {
        let project = try QuantizeSupport.project()
        func key(_ dora: Bool) throws -> String {
            let (record, _) = try QuantizeSupport.apply("""
                  base: {kind: load, path: model, dtype: f32}
                  adapters: {kind: lora, from: base, r: 4, alpha: 8, use_dora: \(dora)}
                """, in: project)
            #expect(record.status == .succeeded, "\(record.error ?? "")")
            return try #require(record.stages.first { $0.name == "adapters" }).key
        }
        #expect(try key(false) != key(true))
    }

    @Test func doraOnAnEmbeddingIsRefused() throws {
        let project = try QuantizeSupport.project()
        let (record, _) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              adapters: {kind: lora, from: base, r: 4, alpha: 8, use_dora: true, target_modules: [q_proj, embed_tokens], modules_to_save: [embed_tokens]}
            """, in: project)
        #expect(record.status != .succeeded)
        let message = record.error ?? ""
        #expect(message.contains("stage `adapters`: target_modules"), "\(message)")
        #expect(message.contains("DoRA applies to Linear layers only, and `embed_tokens` is an embedding"), "\(message)")
        #expect(message.contains("runner supports it on Linear layers"), "\(message)")
    }
}
