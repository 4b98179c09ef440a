// Bad input around quantization and adapters gets a clear error naming the stage and key: an
// already-quantized model, quantize → quantize, skip_modules that leave nothing, an `r` larger than a
// layer, and target modules that match nothing.
import Foundation
import Pipeline
import Recipe
import Testing

@Suite struct QuantizeBadInputTests {
    /// Applies `stages` on the tiny model (or another model directory) and returns the failure message.
    func failure(_ stages: String, model: URL = QuantizeSupport.tinyModel) throws -> String {
        let (record, _) = try QuantizeSupport.apply(stages, in: try QuantizeSupport.project(modelFrom: model))
        #expect(record.status == .failed)
        return record.error ?? ""
    }

    @Test func loadingABitsandbytesCheckpointSaysItIsAlreadyQuantized() throws {
        let message = try failure("""
              base: {kind: load, path: model}
              quant: {kind: quantize, from: base}
            """, model: QuantizeSupport.fixtures.appendingPathComponent("nf4"))
        #expect(message.contains("is already quantized with bitsandbytes"), "\(message)")
        #expect(message.contains("point `path` at the unquantized model"), "\(message)")
    }

    @Test func quantizingAQuantizedModelIsACompileError() throws {
        let project = try QuantizeSupport.project()
        #expect {
            _ = try QuantizeSupport.apply("""
                  base: {kind: load, path: model}
                  quant: {kind: quantize, from: base}
                  again: {kind: quantize, from: quant}
                """, in: project)
        } throws: { error in
            let text = "\(error)"
            return text.contains("again") && text.contains("quantized model")
        }
    }

    @Test func skipModulesThatLeaveNothingToQuantize() throws {
        let message = try failure("""
              base: {kind: load, path: model}
              quant: {kind: quantize, from: base, skip_modules: [self_attn.q_proj, k_proj, v_proj, o_proj, mlp.gate_proj, up_proj, down_proj]}
            """)
        #expect(message.contains("stage `quant`: skip_modules") && message.contains("leaves no Linear layer to quantize"), "\(message)")
    }

    @Test func rankLargerThanALayerIsCaughtByTheLoraStage() throws {
        let message = try failure("""
              base: {kind: load, path: model}
              adapters: {kind: lora, from: base, r: 40}
            """)
        #expect(message.contains("stage `adapters`: r") && message.contains("rank 40 exceeds k_proj's smaller dimension (32 × 64)"), "\(message)")
        #expect(message.contains("use r ≤ 32"), "\(message)")
        // Targets that avoid the narrow layers accept the same rank.
        let (record, _) = try QuantizeSupport.apply("""
              base: {kind: load, path: model}
              adapters: {kind: lora, from: base, r: 40, target_modules: [q_proj, gate_proj]}
            """, in: try QuantizeSupport.project())
        #expect(record.status == .succeeded, "\(record.error ?? "")")
    }

    @Test func targetModulesThatMatchNothingListTheModules() throws {
        let message = try failure("""
              base: {kind: load, path: model}
              adapters: {kind: lora, from: base, target_modules: [q_proj, qkv_proj]}
            """)
        #expect(message.contains("stage `adapters`: target_modules") && message.contains("`qkv_proj` matches no module of the model"), "\(message)")
        #expect(message.contains("q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"), "\(message)")
    }
}
