// The `quantize` stage's artifact against what transformers + bitsandbytes write and compute for the
// same tiny Llama: byte-identical tensors, the same quantization_config, and the same logits.
// Fixtures: tools/reference/quantized_checkpoint_fixtures.py (Fixtures/quantize/<case>).
import CPUBackend
import Formats
import Foundation
import Models
import Pipeline
import Testing

@Suite struct QuantizeArtifactTests {
    static let recipes = [
        "nf4": "method: nf4, block_size: 64, double_quant: true, compute_dtype: f32",
        "int8": "method: int8, compute_dtype: f32",
    ]

    /// load (f32) → quantize with the case's settings; the quantize artifact's directory.
    func quantize(_ name: String) throws -> URL {
        let project = try QuantizeSupport.project()
        let (record, store) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              quant: {kind: quantize, from: base, \(Self.recipes[name]!)}
            """, in: project)
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        let artifact = try QuantizeSupport.artifact("quant", record, store)
        if let keep = ProcessInfo.processInfo.environment["RUNNER_KEEP_QUANTIZED"] {
            let target = URL(fileURLWithPath: keep).appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: artifact, to: target)
        }
        return artifact
    }

    @Test(arguments: ["nf4", "int8"])
    func tensorsAreThoseBitsandbytesSaves(name: String) throws {
        let ours = try SafetensorsFile(contentsOf: quantize(name).appendingPathComponent("model.safetensors"))
        let theirs = try SafetensorsFile(contentsOf: QuantizeSupport.fixtures.appendingPathComponent("\(name)/model.safetensors"))
        #expect(ours.tensors.map(\.name).sorted() == theirs.tensors.map(\.name).sorted())
        #expect(ours.metadata == theirs.metadata)
        for expected in theirs.tensors {
            let tensor = try #require(ours.tensor(named: expected.name))
            #expect(tensor.dtype == expected.dtype && tensor.shape == expected.shape, "\(expected.name): \(tensor.dtype) \(tensor.shape)")
            #expect(Array(ours.bytes(of: tensor)) == Array(theirs.bytes(of: expected)), "\(expected.name) bytes differ")
        }
        #expect(theirs.tensors.contains { $0.dtype == (name == "int8" ? .i8 : .u8) })
    }

    @Test(arguments: ["nf4", "int8"])
    func configCarriesTransformersQuantizationConfig(name: String) throws {
        let artifact = try quantize(name)
        func object(_ url: URL) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        }
        let ours = try object(artifact.appendingPathComponent("config.json"))
        let theirs = try object(QuantizeSupport.fixtures.appendingPathComponent("\(name)/config.json"))
        let quantization = try #require(ours["quantization_config"] as? NSDictionary)
        #expect(quantization == (theirs["quantization_config"] as! NSDictionary))
        for key in ["hidden_size", "num_hidden_layers", "vocab_size", "tie_word_embeddings"] {
            #expect((ours[key] as? NSObject) == (theirs[key] as? NSObject), "\(key)")
        }
        // transformers insists on a float threshold (an integer 6 fails its BitsAndBytesConfig check).
        #expect(try String(contentsOf: artifact.appendingPathComponent("config.json"), encoding: .utf8).contains("\"llm_int8_threshold\" : 6.0,"))
        // The tokenizer travels with the weights; the settings are recorded.
        #expect(FileManager.default.fileExists(atPath: artifact.appendingPathComponent("tokenizer.json").path))
        #expect(FileManager.default.fileExists(atPath: artifact.appendingPathComponent("quantize.json").path))
    }

    @Test(arguments: ["nf4", "int8"])
    func logitsMatchTransformersOnTheArtifact(name: String) throws {
        let artifact = try quantize(name)
        let reference = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: QuantizeSupport.fixtures.appendingPathComponent("\(name)/reference.json"))) as? [String: Any])
        let tokens = try #require((reference["input_ids"] as? [[Int]])?.first).map { Int32($0) }
        let expected = try Data(contentsOf: QuantizeSupport.fixtures.appendingPathComponent("\(name)/logits.bin"))
            .withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let bundle = try ModelBundle.open(artifact)
        let model = try bundle.loadModel(backend: CPUBackend(), maxSequence: tokens.count, logits: .allPositions)
        let logits = model.backend.readFloats(try model.forward(tokens: tokens))
        #expect(logits.count == expected.count)
        let range = expected.max()! - expected.min()!
        #expect(range > 1, "reference logits should not be flat")
        let error = zip(logits, expected).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-4 * range, "\(name): max |Δ| = \(error), logit range \(range)")
    }

    @Test func generatesFromTheQuantizedModel() throws {
        let (record, store) = try QuantizeSupport.apply("""
              base: {kind: load, path: model, dtype: f32}
              quant: {kind: quantize, from: base}
              gen: {kind: generate, model: quant, prompts: ["Say red:"], max_new_tokens: 4, chat: false}
            """, in: try QuantizeSupport.project())
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        #expect(record.stages.first { $0.name == "gen" }?.metrics["new_tokens"] == 4)
        let generations = try QuantizeSupport.artifact("gen", record, store).appendingPathComponent("generations.json")
        #expect(FileManager.default.fileExists(atPath: generations.path))
    }
}
