// Export beyond the tiny Llama of the parity fixtures: Qwen2 (q/k/v biases, no rope permutation),
// a Mistral-style head_dim ≠ hidden/heads (`attention.key_length`), an untied output matrix, and a
// SentencePiece-style tokenizer.json (`tokenizer.ggml.model = llama`). Each f32 export must load
// back with our loader to the source's logits and tokenize id-exact.
import CPUBackend
import Compute
import Foundation
import Models
import Testing
import Tokenizer

@Suite struct ExportArchitectureTests {
    /// Writes a HF checkpoint for `config` with seeded random weights and copies the tokenizer files.
    func makeModel(_ config: LlamaConfig, in dir: URL, tokenizer: URL, tokenizerConfig: URL?) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Float {  // xorshift, uniform in (-1, 1)
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Double(state >> 11) / Double(1 << 53)) * 2 - 1
        }
        var tensors: [String: Tensor] = [:]
        for (key, shape) in config.weightShapes() {
            let scale: Float = shape.rank == 1 ? 0.3 : 2.5 / Float(shape[1]).squareRoot()
            let base: Float = WeightNaming.huggingFace.name(key).hasSuffix("norm.weight") ? 1 : 0
            tensors[WeightNaming.huggingFace.name(key)] = Tensor.host((0..<shape.count).map { _ in base + scale * random() }, shape: shape)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try CanonicalWeights.writeHuggingFaceCheckpoint(from: InMemoryWeights(tensors: tensors), config: config, dtype: .f32, to: dir)
        try config.huggingFaceConfigJSON(dtype: .f32).write(to: dir.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: tokenizer, to: dir.appendingPathComponent("tokenizer.json"))
        if let tokenizerConfig { try FileManager.default.copyItem(at: tokenizerConfig, to: dir.appendingPathComponent("tokenizer_config.json")) }
    }

    /// Exports `dir` as f32 and checks logits and token ids against the source.
    func expectRoundTrip(_ dir: URL, texts: [String]) throws {
        let gguf = dir.deletingLastPathComponent().appendingPathComponent("model.gguf")
        try GGUFExporter.export(try ModelBundle.open(dir), type: .f32, name: "m", to: gguf)
        let source = try LlamaModel.load(from: dir, backend: CPUBackend(), maxSequence: 16, logits: .allPositions)
        let exported = try LlamaModel.load(from: gguf, backend: CPUBackend(), maxSequence: 16, logits: .allPositions)
        #expect(exported.config.headDim == source.config.headDim && exported.config.qkvBias == source.config.qkvBias)
        #expect(exported.config.tieWordEmbeddings == source.config.tieWordEmbeddings)
        let tokens: [Int32] = [5, 17, 42, 3, 99, 7, 64, 200]
        let want = source.backend.readFloats(try source.forward(tokens: tokens))
        let got = exported.backend.readFloats(try exported.forward(tokens: tokens))
        let range = want.max()! - want.min()!
        #expect(range > 1)
        #expect(zip(got, want).map { abs($0 - $1) }.max()! <= 1e-5 * range)

        let reference = try Tokenizer(contentsOf: dir.appendingPathComponent("tokenizer.json"))
        let roundTripped = try ModelBundle.open(gguf).tokenizer
        for text in texts {
            #expect(roundTripped.encode(text) == reference.encode(text), "\(text.debugDescription)")
            #expect(roundTripped.encode(text, addSpecialTokens: false) == reference.encode(text, addSpecialTokens: false))
        }
    }

    static let byteLevelTokenizer = ExportFixtures.tinyModel.appendingPathComponent("tokenizer.json")
    static let byteLevelConfig = ExportFixtures.tinyModel.appendingPathComponent("tokenizer_config.json")
    static let texts = ["Hello world! 2024 is here.", "  spaces\tand\nnewlines ", "<|im_start|>user\nhi<|im_end|>"]

    @Test func qwen2WithBiasesKeepsItsRowOrder() throws {
        let config = LlamaConfig(architecture: .qwen2, vocabSize: 336, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
                                 headCount: 4, kvHeadCount: 2, rmsNormEps: 1e-6, rope: RopeConfig(theta: 1_000_000),
                                 maxPositionEmbeddings: 64, tieWordEmbeddings: true, qkvBias: true)
        try ExportFixtures.withTemporaryDirectory { root in
            try makeModel(config, in: root.appendingPathComponent("qwen2"), tokenizer: Self.byteLevelTokenizer, tokenizerConfig: Self.byteLevelConfig)
            try expectRoundTrip(root.appendingPathComponent("qwen2"), texts: Self.texts)
        }
    }

    @Test func mistralStyleHeadDimAndUntiedOutput() throws {
        let config = LlamaConfig(architecture: .mistral, vocabSize: 336, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
                                 headCount: 4, kvHeadCount: 2, headDim: 16, rmsNormEps: 1e-5, rope: RopeConfig(theta: 10_000, scaling: .linear(factor: 2)),
                                 maxPositionEmbeddings: 64, tieWordEmbeddings: false)
        try ExportFixtures.withTemporaryDirectory { root in
            try makeModel(config, in: root.appendingPathComponent("mistral"), tokenizer: Self.byteLevelTokenizer, tokenizerConfig: Self.byteLevelConfig)
            try expectRoundTrip(root.appendingPathComponent("mistral"), texts: Self.texts)
        }
    }

    @Test func sentencePieceTokenizerBecomesALlamaVocabulary() throws {
        let tokenizer = ExportFixtures.packageRoot.appendingPathComponent("Tests/TokenizerTests/Fixtures/tiny_metaspace.tokenizer.json")
        let config = LlamaConfig(vocabSize: 528, hiddenSize: 32, intermediateSize: 64, layerCount: 1, headCount: 4, kvHeadCount: 4,
                                 rmsNormEps: 1e-5, maxPositionEmbeddings: 64, tieWordEmbeddings: true, bosTokenId: 1, eosTokenIds: [2])
        try ExportFixtures.withTemporaryDirectory { root in
            // As Llama 2 / Mistral tokenizer.json files have it: `▁` before the text only.
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: tokenizer)) as? [String: Any])
            json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": false]
            let first = root.appendingPathComponent("first.tokenizer.json")
            try JSONSerialization.data(withJSONObject: json).write(to: first)
            let dir = root.appendingPathComponent("spm")
            try makeModel(config, in: dir, tokenizer: first, tokenizerConfig: nil)
            try expectRoundTrip(dir, texts: ["Hello world", " leading space and  two", "café ñ 日本 🚀 <0x41>", "</s>x<s>"])
            let file = try GGUFFileProbe.metadata(root.appendingPathComponent("model.gguf"))
            #expect(file.model == "llama" && file.tokenCount == 528)

            // `always` puts `▁` after every special token too, which GGUF readers do not: refused, not silently changed.
            let always = root.appendingPathComponent("always")
            try makeModel(config, in: always, tokenizer: tokenizer, tokenizerConfig: nil)
            do {
                try GGUFExporter.export(try ModelBundle.open(always), type: .f16, name: "m", to: root.appendingPathComponent("always.gguf"))
                Issue.record("expected the tokenizer to be refused")
            } catch {
                #expect("\(error)".contains("cannot be expressed in GGUF metadata"))
            }
        }
    }
}

import Formats

/// What the tests read back from a written GGUF's tokenizer metadata.
enum GGUFFileProbe {
    static func metadata(_ url: URL) throws -> (model: String, tokenCount: Int) {
        let file = try GGUFFile(contentsOf: url)
        return (try file.metadata.string("tokenizer.ggml.model"), try file.metadata.strings("tokenizer.ggml.tokens").count)
    }
}
