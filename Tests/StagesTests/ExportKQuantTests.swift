// K-quant `export` against the references: the q4_k_m / q6_k GGUFs runner writes for a tiny Llama
// whose rows are whole super-blocks (Fixtures/export/tiny256) are the committed ones; the gguf
// package dequantizes every tensor to exactly our values; transformers' GGUF load gives our logits.
// And a model no K-quant fits (hidden 32) still exports, saying so once.
import Basics
import CPUBackend
import Formats
import Foundation
import Models
import Pipeline
import Quant
import Recipe
import Stages
import Testing

private final class LogLines: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.withLock { stored } }
    func handle(_ event: ExecutionEvent) {
        guard case .log(_, let message) = event else { return }
        lock.withLock { stored.append(message) }
    }
}

@Suite struct ExportKQuantTests {
    static let types = ["q4_k_m", "q6_k"]
    static var model: URL { ExportFixtures.directory.appendingPathComponent("tiny256") }
    static func file(_ type: String) -> URL { ExportFixtures.directory.appendingPathComponent("tiny256.\(type).gguf") }

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: ExportFixtures.directory.appendingPathComponent("kquant_reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test(arguments: types)
    func exportWritesTheCommittedFile(type: String) throws {
        let exportType = try #require(GGUFExportType(rawValue: type))
        try ExportFixtures.withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("tiny256.\(type).gguf")
            let report = try GGUFExporter.export(try ModelBundle.open(Self.model), type: exportType, name: "tiny256", to: url)
            let written = try Data(contentsOf: url)
            if ExportFixtures.updating {
                try written.write(to: ExportFixtures.sourceDirectory.appendingPathComponent("tiny256.\(type).gguf"))
            }
            #expect(written == (try Data(contentsOf: Self.file(type))), "tiny256.\(type).gguf changed; if intended, regenerate (see tools/reference/export_fixtures.py)")
            // One layer: use_more_bits(0, 1) holds, so q4_k_m gives attn_v and ffn_down Q6_K; ffn_down's
            // 32-value rows cannot be Q6_K and take llama-quantize's fallback, Q8_0.
            #expect(report.deviationLines == ["blk.0.ffn_down.weight: rows of 32 values are not a multiple of 256 for Q6_K: stored as Q8_0 (llama-quantize's fallback)"])
            #expect(report.notes.isEmpty)
        }
    }

    @Test(arguments: types)
    func mixAndLayoutAreWhatTheGGUFPackageRead(type: String) throws {
        let entry = try #require((try Self.reference()["exports"] as? [String: Any])?[type] as? [String: Any])
        let table = try #require(entry["tensors"] as? [[String: Any]])
        let file = try GGUFFile(contentsOf: Self.file(type))
        #expect(file.tensors.map(\.name) == table.map { $0["name"] as! String })
        for (info, row) in zip(file.tensors, table) {
            #expect(info.type.description == row["type"] as? String, "\(info.name)")
            #expect(info.dimensions == (row["shape"] as! [Int]), "\(info.name)")
        }
        let types = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.type.description) })
        let base = type == "q6_k" ? "Q6_K" : "Q4_K"
        #expect(types["token_embd.weight"] == "Q6_K", "the tied embedding is the output matrix")
        #expect(types["blk.0.attn_q.weight"] == base && types["blk.0.attn_k.weight"] == base && types["blk.0.attn_output.weight"] == base)
        #expect(types["blk.0.ffn_gate.weight"] == base && types["blk.0.ffn_up.weight"] == base)
        #expect(types["blk.0.attn_v.weight"] == "Q6_K")
        #expect(types["blk.0.ffn_down.weight"] == "Q8_0")
        #expect(types["blk.0.attn_norm.weight"] == "F32" && types["output_norm.weight"] == "F32")
        #expect(entry["file_type"] as? Int == Int(GGUFExportType(rawValue: type)!.fileType))
    }

    @Test(arguments: types)
    func ggufPackageDequantizesEveryTensorToOurValues(type: String) throws {
        let entry = try #require((try Self.reference()["exports"] as? [String: Any])?[type] as? [String: Any])
        let table = try #require(entry["tensors"] as? [[String: Any]])
        let file = try GGUFFile(contentsOf: Self.file(type))
        var kQuantTensors = 0
        for (info, row) in zip(file.tensors, table) {
            let values = try file.dequantize(info)
            let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
            #expect(Digest.sha256Hex(bytes) == row["dequantized_sha256"] as? String, "\(type): \(info.name) (\(info.type)) dequantizes differently from gguf.quants.dequantize")
            if info.type.blockSize == 256 { kQuantTensors += 1 }
        }
        #expect(kQuantTensors == 7, "token_embd + q, k, v, o, gate, up")
    }

    @Test(arguments: types)
    func logitsMatchTransformersOnTheSameFile(type: String) throws {
        let reference = try Self.reference()
        let sequences = ExportFixtures.ids(reference["sequences"])
        let types = try #require(reference["types"] as? [String])
        let entry = try #require((reference["exports"] as? [String: Any])?[type] as? [String: Any])
        let referenceError = Float(try #require(entry["max_abs_vs_source"] as? Double))
        let data = try Data(contentsOf: ExportFixtures.directory.appendingPathComponent("kquant_logits.bin"))
        let all = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let model = try LlamaModel.load(from: Self.file(type), backend: CPUBackend(), maxSequence: 32, logits: .allPositions)
        let perSet = sequences.reduce(0) { $0 + $1.count * model.config.vocabSize }
        #expect(all.count == perSet * (types.count + 1))
        let source = Array(all[0 ..< perSet])
        let index = try #require(types.firstIndex(of: type)) + 1
        let transformers = Array(all[index * perSet ..< (index + 1) * perSet])

        var ours: [Float] = []
        for sequence in sequences {
            model.resetCache()
            ours += model.backend.readFloats(try model.forward(tokens: sequence))
        }
        let range = source.max()! - source.min()!
        #expect(range > 1, "reference logits should not be flat")
        let vsTransformers = zip(ours, transformers).map { abs($0 - $1) }.max()!
        let vsSource = zip(ours, source).map { abs($0 - $1) }.max()!
        #expect(vsTransformers <= 1e-4 * range, "\(type): max |Δ| vs transformers' GGUF load = \(vsTransformers), range \(range)")
        #expect(vsSource <= referenceError * 1.01 + 1e-4 * range, "\(type): max |Δ| vs source = \(vsSource), reference \(referenceError)")
        #expect(referenceError > 1e-4, "a K-quant should differ a little from the source")
    }

    @Test func aModelNoKQuantFitsStillExportsAndSaysSoOnce() throws {
        // The hidden-32 model: no row is a whole super-block, so every matrix falls back.
        try ExportFixtures.withTemporaryDirectory { project in
            let text = """
            version: 1
            name: kquant-fallback
            stages:
              base: {kind: load, path: \(ExportFixtures.tinyModel.path)}
              gguf: {kind: export, from: base, path: out/tiny.gguf, type: q4_k_m}
            """
            let recipe = project.appendingPathComponent("recipe.yaml")
            try text.write(to: recipe, atomically: true, encoding: .utf8)
            let log = LogLines()
            let executor = Executor(store: ArtifactStore(root: project.appendingPathComponent(".runner")), registry: Stages.builtinRegistry, observer: log)
            let record = try executor.apply(try RecipeLoader.compile(file: recipe))
            #expect(record.status == .succeeded, "\(record.error ?? "")")
            let notes = log.lines.filter { $0.contains("holds no K-quant tensor") }
            #expect(notes == ["no matrix has rows that are whole 256-value super-blocks: this Q4_K_M file holds no K-quant tensor (every matrix took llama-quantize's fallback type)"])
            // Two layers: use_more_bits(1, 2) holds, so layer 1's attn_v / ffn_down want Q6_K, layer 0's Q4_K.
            #expect(log.lines.contains("blk.0.ffn_down.weight: rows of 48 values are not a multiple of 256 for Q4_K: stored as F16 (llama-quantize's fallback)"))
            #expect(log.lines.contains("blk.1.ffn_down.weight: rows of 48 values are not a multiple of 256 for Q6_K: stored as F16 (llama-quantize's fallback)"))
            #expect(log.lines.contains("blk.1.attn_v.weight: rows of 32 values are not a multiple of 256 for Q6_K: stored as Q8_0 (llama-quantize's fallback)"))
            #expect(log.lines.contains("token_embd.weight: output matrix rows are not a multiple of 256 for Q6_K: stored as Q8_0 (as llama-quantize does)"))
            #expect(log.lines.contains { $0.contains(" tensors (") && $0.contains(" Q5_0, ") && $0.contains(" F32") }, "\(log.lines)")
            let file = try GGUFFile(contentsOf: project.appendingPathComponent("out/tiny.gguf"))
            #expect(!file.tensors.contains { $0.type.blockSize == 256 })
            #expect(file.tensors.first { $0.name == "blk.0.attn_q.weight" }?.type == .q5_0)
            #expect(file.tensors.first { $0.name == "token_embd.weight" }?.type == .q8_0)
        }
    }

    @Test func anUnknownTypeNameGetsDidYouMean() throws {
        try ExportFixtures.withTemporaryDirectory { project in
            let text = """
            version: 1
            name: kquant-typo
            stages:
              base: {kind: load, path: \(ExportFixtures.tinyModel.path)}
              gguf: {kind: export, from: base, path: out/tiny.gguf, type: q4_km}
            """
            let recipe = project.appendingPathComponent("recipe.yaml")
            try text.write(to: recipe, atomically: true, encoding: .utf8)
            let error = #expect(throws: (any Error).self) { try RecipeLoader.compile(file: recipe) }
            let message = "\(error.map { String(describing: $0) } ?? "")"
            #expect(message.contains("q4_k_m"), "\(message)")
        }
    }
}
