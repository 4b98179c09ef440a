// SmolLM2-135M exported as q4_k_m: llama-quantize's mix on a d = 576 model (ffn_down K-quants, the
// rest its fallbacks), and the file still predicts what the source does. The time is printed, not
// asserted (≈ 10 s; a timing bound fails on a loaded or sanitized run and is no benchmark).
import CPUBackend
import Foundation
import Models
import Quant
import Testing

@Suite struct SmolLM2KQuantExportTests {
    @Test func q4KMExportFollowsTheMixAndKeepsPredictions() throws {
        let url = try Paths.requireSmolLM2()
        let bundle = try ModelBundle.open(url)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runner-kquant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("smollm2.q4_k_m.gguf")

        let start = Date()
        let report = try GGUFExporter.export(bundle, type: .q4_k_m, name: "smollm2", to: out)
        let seconds = Date().timeIntervalSince(start)
        print("SmolLM2-135M → q4_k_m: \(String(format: "%.1f", seconds)) s, \(report.byteCount) bytes; \(report.typeCounts)")

        let types = Dictionary(uniqueKeysWithValues: report.tensors.map { ($0.name, $0.type) })
        let more = (0 ..< 30).filter { GGUFExportType.usesMoreBits(layer: $0, layers: 30) }
        for layer in 0 ..< 30 {
            // 1536-value rows are whole super-blocks: the mix itself.
            #expect(types["blk.\(layer).ffn_down.weight"] == (more.contains(layer) ? .q6_K : .q4_K), "layer \(layer)")
            // 576-value rows are not: Q4_K → Q5_0, Q6_K → Q8_0.
            #expect(types["blk.\(layer).attn_q.weight"] == .q5_0 && types["blk.\(layer).ffn_up.weight"] == .q5_0)
            #expect(types["blk.\(layer).attn_v.weight"] == (more.contains(layer) ? .q8_0 : .q5_0), "layer \(layer)")
        }
        #expect(types["token_embd.weight"] == .q8_0)
        #expect(report.notes.isEmpty, "ffn_down holds K-quants")
        #expect(report.deviationLines.count == 3, "\(report.deviationLines)")

        // The exported model's greedy next tokens agree with the source's on a prompt.
        let tokens = bundle.tokenizer.encode("The capital of France is Paris. The capital of Italy is")
        func predictions(_ url: URL) throws -> [Int32] {
            let model = try LlamaModel.load(from: url, backend: CPUBackend(), maxSequence: 64, logits: .allPositions)
            let logits = model.backend.readFloats(try model.forward(tokens: tokens))
            let vocab = model.config.vocabSize
            return (0 ..< tokens.count).map { Sampler.argmax(Array(logits[$0 * vocab ..< ($0 + 1) * vocab])) }
        }
        let source = try predictions(url), exported = try predictions(out)
        let agree = zip(source, exported).filter { $0 == $1 }.count
        #expect(Double(agree) >= 0.8 * Double(tokens.count), "top-1 agreement \(agree)/\(tokens.count)")
    }
}
