// `export` against the references: the GGUFs runner writes for a tiny Llama are byte-for-byte the
// committed ones, which tools/reference/export_fixtures.py checked with the gguf package (every
// tensor as gguf.quants.quantize makes it) and loaded with transformers; here our loader must give
// transformers' logits and ids for each file, and stay within the reference's quantization error.
import CPUBackend
import Formats
import Foundation
import Models
import Quant
import Testing

@Suite struct ExportParityTests {
    @Test(arguments: ExportFixtures.types)
    func exportWritesTheCommittedFile(type: String) throws {
        let exportType = try #require(GGUFExportType(rawValue: type))
        let bundle = try ModelBundle.open(ExportFixtures.tinyModel)
        try ExportFixtures.withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("tiny.\(type).gguf")
            try GGUFExporter.export(bundle, type: exportType, name: "tiny", to: url)
            let written = try Data(contentsOf: url)
            if ExportFixtures.updating {
                try written.write(to: ExportFixtures.sourceDirectory.appendingPathComponent("tiny.\(type).gguf"))
            }
            let committed = try Data(contentsOf: ExportFixtures.directory.appendingPathComponent("tiny.\(type).gguf"))
            #expect(written == committed, "tiny.\(type).gguf changed; if intended, regenerate (see tools/reference/export_fixtures.py)")
        }
    }

    @Test func fallbacksAreReportedAsLlamaCppWouldLogThem() throws {
        let bundle = try ModelBundle.open(ExportFixtures.tinyModel)
        try ExportFixtures.withTemporaryDirectory { dir in
            let report = try GGUFExporter.export(bundle, type: .q4_0, name: "tiny", to: dir.appendingPathComponent("t.gguf"))
            #expect(report.deviations.map(\.name) == ["token_embd.weight", "blk.0.ffn_down.weight", "blk.1.ffn_down.weight"])
            #expect(report.deviationLines == [
                "token_embd.weight: output matrix rows are not a multiple of 256 for Q6_K: stored as Q8_0 (as llama-quantize does)",
                "2 tensors (blk.0.ffn_down.weight, blk.1.ffn_down.weight): rows of 48 values are not a multiple of 32: stored as F16 (as llama.cpp's converter does)",
            ])
            #expect(report.parameterCount == bundle.config.weightShapes().reduce(0) { $0 + $1.1.count })
            let f32 = try GGUFExporter.export(bundle, type: .f32, name: "tiny", to: dir.appendingPathComponent("f.gguf"))
            #expect(f32.deviations.isEmpty && f32.byteCount == 4 * f32.parameterCount)
        }
    }

    @Test(arguments: ExportFixtures.types)
    func logitsMatchTransformersAndStayWithinQuantizationError(type: String) throws {
        let reference = try ExportFixtures.reference()
        let sequences = ExportFixtures.ids(reference["sequences"])
        let types = try #require(reference["types"] as? [String])
        let exports = try #require(reference["exports"] as? [String: Any])
        let entry = try #require(exports[type] as? [String: Any])
        let referenceError = Float(try #require(entry["max_abs_vs_source"] as? Double))
        let all = try ExportFixtures.logits()
        let model = try LlamaModel.load(from: ExportFixtures.directory.appendingPathComponent("tiny.\(type).gguf"),
                                        backend: CPUBackend(), maxSequence: 32, logits: .allPositions)
        let vocab = model.config.vocabSize
        let perSet = sequences.reduce(0) { $0 + $1.count * vocab }
        #expect(all.count == perSet * (types.count + 1))
        let source = Array(all[0..<perSet])
        let setIndex = try #require(types.firstIndex(of: type)) + 1
        let transformers = Array(all[setIndex * perSet..<(setIndex + 1) * perSet])

        var ours: [Float] = []
        for sequence in sequences {
            model.resetCache()
            ours += model.backend.readFloats(try model.forward(tokens: sequence))
        }
        let range = source.max()! - source.min()!
        #expect(range > 1, "reference logits should not be flat")
        let vsTransformers = zip(ours, transformers).map { abs($0 - $1) }.max()!
        let vsSource = zip(ours, source).map { abs($0 - $1) }.max()!
        // Same bytes, dequantized by both: agreement to f32 rounding of the forward pass.
        #expect(vsTransformers <= 1e-4 * range, "\(type): max |Δ| vs transformers' GGUF load = \(vsTransformers), range \(range)")
        // Against the unquantized source: no more than the quantization error transformers sees.
        #expect(vsSource <= referenceError * 1.01 + 1e-4 * range, "\(type): max |Δ| vs source = \(vsSource), reference \(referenceError)")
        if type == "f32" { #expect(vsSource <= 1e-4 * range) } else { #expect(referenceError > 1e-5, "a lossy type should differ a little") }
    }

    @Test(arguments: ExportFixtures.types)
    func tokenizerRoundTripsIdExact(type: String) throws {
        let reference = try ExportFixtures.reference()
        let texts = try #require(reference["texts"] as? [String])
        let sourceIds = ExportFixtures.ids(reference["source_ids"])
        let entry = try #require((reference["exports"] as? [String: Any])?[type] as? [String: Any])
        let transformersIds = ExportFixtures.ids(entry["gguf_ids"])
        let exported = try ModelBundle.open(ExportFixtures.directory.appendingPathComponent("tiny.\(type).gguf"))
        let source = try ModelBundle.open(ExportFixtures.tinyModel)
        for (index, text) in texts.enumerated() {
            let ours = exported.tokenizer.encode(text)
            #expect(ours == sourceIds[index], "\(type): \(text.debugDescription)")
            #expect(ours == transformersIds[index], "\(type): transformers reads the GGUF tokenizer differently for \(text.debugDescription)")
            #expect(ours == source.tokenizer.encode(text))
            #expect(exported.tokenizer.decode(ours) == source.tokenizer.decode(ours))
        }
        #expect(exported.chatTemplate == source.chatTemplate)
        #expect(entry["chat_template_matches"] as? Bool == true)
    }

    @Test(arguments: ExportFixtures.types)
    func layoutIsWhatTheGGUFPackageRead(type: String) throws {
        let entry = try #require((try ExportFixtures.reference()["exports"] as? [String: Any])?[type] as? [String: Any])
        let table = try #require(entry["tensors"] as? [[String: Any]])
        let file = try GGUFFile(contentsOf: ExportFixtures.directory.appendingPathComponent("tiny.\(type).gguf"))
        #expect(file.tensors.map(\.name) == table.map { $0["name"] as! String })
        for (info, row) in zip(file.tensors, table) {
            #expect(info.type.description == row["type"] as? String, "\(info.name)")
            #expect(info.dimensions == (row["shape"] as! [Int]), "\(info.name)")
        }
        // Norms stay F32; ffn_down's 48-value rows cannot be Q8_0/Q4_0 blocks; Q4_0 keeps the tied output matrix at Q8_0.
        let types = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.type.description) })
        #expect(types["blk.0.attn_norm.weight"] == "F32" && types["output_norm.weight"] == "F32")
        #expect(types["output.weight"] == nil, "tied embeddings have no output.weight")
        switch type {
        case "q8_0": #expect(types["blk.1.ffn_down.weight"] == "F16" && types["blk.1.ffn_up.weight"] == "Q8_0" && types["token_embd.weight"] == "Q8_0")
        case "q4_0": #expect(types["blk.1.ffn_down.weight"] == "F16" && types["blk.1.attn_q.weight"] == "Q4_0" && types["token_embd.weight"] == "Q8_0")
        default: #expect(types["blk.1.ffn_down.weight"] == type.uppercased())
        }
        let metadata = try #require(entry["metadata"] as? [String: Any])
        #expect(metadata["general.architecture"] as? String == "llama")
        #expect(metadata["llama.attention.head_count_kv"] as? Int == 2)
        #expect(metadata["tokenizer.ggml.pre"] as? String == "smollm")
        #expect(metadata["general.file_type"] as? Int == Int(GGUFExportType(rawValue: type)!.fileType))
        #expect(entry["token_count"] as? Int == 336)
    }
}
