// A model as runner finds it on disk — a GGUF file, a Hugging Face directory, or a `load` stage
// artifact — opened into one value: config, tokenizer, chat template, generation defaults, and
// a way to load the weights. The load stage, `runner generate` and `runner tokenize` all use it.
import Basics
import Compute
import Formats
import Foundation
import Tokenizer

public struct ModelBundle {
    /// The file or directory the bundle was opened from.
    public let location: URL
    public let config: LlamaConfig
    public let tokenizer: Tokenizer
    /// The Jinja chat template the model ships, if any.
    public let chatTemplate: String?
    /// Generation defaults from `generation_config.json`, if the model has one.
    public let generationConfig: GenerationConfig?
    private let source: Source

    private enum Source {
        case gguf(GGUFFile)
        case huggingFace(directory: URL)
    }

    /// File name of the vocabulary-only GGUF a normalized artifact keeps when the model came from a
    /// GGUF (llama.cpp's own format for a tokenizer without weights).
    public static let vocabularyFileName = "tokenizer.gguf"

    /// Opens `url`: a `.gguf` file, or a directory with `config.json`, safetensors weights and a
    /// tokenizer (`tokenizer.json`, or `tokenizer.gguf` as the load stage writes it).
    ///
    /// - Throws: `RunnerError` naming the file and what is missing or wrong.
    public static func open(_ url: URL) throws -> ModelBundle {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunnerError(url.path, "no such file or directory", hint: "give a .gguf file or a Hugging Face model directory")
        }
        if !isDirectory.boolValue {
            guard url.pathExtension.lowercased() == "gguf" else {
                throw RunnerError(url.path, "is neither a .gguf file nor a model directory",
                                  hint: "give a .gguf file or a directory with config.json and *.safetensors")
            }
            let file = try GGUFFile(contentsOf: url)
            let tokenizer = try Tokenizer(description: tokenizerDescription(file.metadata))
            let config = try LlamaConfig.fromGGUF(file)
            return ModelBundle(location: url, config: config, tokenizer: tokenizer,
                               chatTemplate: try file.metadata.stringIfPresent("tokenizer.chat_template"),
                               generationConfig: nil, source: .gguf(file))
        }
        let config = try LlamaConfig.load(contentsOf: url.appendingPathComponent("config.json"))
        let (tokenizer, ggufTemplate) = try openTokenizer(in: url)
        let template = try huggingFaceChatTemplate(in: url) ?? ggufTemplate
        return ModelBundle(location: url, config: config, tokenizer: tokenizer, chatTemplate: template,
                           generationConfig: try GenerationConfig.load(directory: url), source: .huggingFace(directory: url))
    }

    /// The weights as a source in their native naming (GGUF names for GGUF files).
    public func weightSource() throws -> any WeightSource {
        switch source {
        case .gguf(let file): GGUFWeights(file: file)
        case .huggingFace(let directory):
            // A bitsandbytes checkpoint (a `quantize` artifact) hands its quantized Linears out dequantized.
            try Self.isBitsAndBytesQuantized(directory) ? BitsAndBytesWeights(at: directory) : SafetensorsWeights(at: directory)
        }
    }

    /// Whether the Hugging Face directory `directory` holds a bitsandbytes-quantized checkpoint
    /// (`quantization_config.quant_method` "bitsandbytes" in its config.json).
    public static func isBitsAndBytesQuantized(_ directory: URL) throws -> Bool {
        let configURL = directory.appendingPathComponent("config.json")
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] else { return false }
        return (object["quantization_config"] as? [String: Any])?["quant_method"] as? String == "bitsandbytes"
    }

    /// Loads the weights onto `backend` and plans the model's arena.
    public func loadModel(backend: any Backend, weightDType: DType = .f32, maxBatch: Int = 1, maxSequence: Int,
                          logits: LogitsPolicy = .lastPosition) throws -> LlamaModel {
        let weights = try LlamaWeights.load(from: weightSource(), config: config, backend: backend, dtype: weightDType)
        return try LlamaModel(config: config, weights: weights, backend: backend, maxBatch: maxBatch, maxSequence: maxSequence,
                              maxStepTokens: maxBatch * maxSequence, logits: logits)
    }

    /// End-of-sequence ids: generation_config's, else the config's, else the tokenizer's.
    public var eosTokenIds: Set<Int32> {
        if let ids = generationConfig?.eosTokenIds, !ids.isEmpty { return Set(ids) }
        if !config.eosTokenIds.isEmpty { return Set(config.eosTokenIds) }
        return tokenizer.eosTokenId.map { [$0] } ?? []
    }

    // MARK: - Normalized artifact

    /// Writes the normalized form the load stage caches: `config.json`, safetensors weights in HF
    /// naming and row order (matrices in `dtype`), the tokenizer and chat template, and
    /// `generation_config.json` when the source has one. `ModelBundle.open` reads it back.
    public func writeNormalized(to directory: URL, dtype: DType) throws {
        if case .huggingFace(let source) = source, try Self.isBitsAndBytesQuantized(source) {
            throw RunnerError(source.path, "is already quantized with bitsandbytes (config.json has a quantization_config)",
                              hint: "point `path` at the unquantized model and add a `quantize` stage; runner quantizes exactly as bitsandbytes does")
        }
        try CanonicalWeights.writeHuggingFaceCheckpoint(from: weightSource(), config: config, dtype: dtype, to: directory)
        try AtomicFile.write(config.huggingFaceConfigJSON(dtype: dtype), to: directory.appendingPathComponent("config.json"))
        switch source {
        case .gguf(let file):
            // The tokenizer and chat template travel as a vocabulary-only GGUF: exact, and readable by llama.cpp and transformers.
            var writer = try GGUFWriter(architecture: file.architecture ?? "llama", context: Self.vocabularyFileName)
            for entry in file.metadata.entries where entry.key.hasPrefix("tokenizer.") {
                try writer.set(entry.key, entry.value)
            }
            try writer.write(to: directory.appendingPathComponent(Self.vocabularyFileName))
        case .huggingFace(let source):
            for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                         "generation_config.json", Self.vocabularyFileName] {
                let from = source.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: from.path) {
                    try AtomicFile.write(Data(contentsOf: from), to: directory.appendingPathComponent(name))
                }
            }
        }
    }

    // MARK: - Reading the pieces

    /// How GGUF metadata maps onto the tokenizer's neutral description: one `tokenizer.ggml.*` key per field.
    public static func tokenizerDescription(_ metadata: GGUFMetadata) throws -> TokenizerDescription {
        let modelName = try metadata.string("tokenizer.ggml.model")
        guard let model = TokenizerDescription.ModelType(rawValue: modelName) else {
            throw RunnerError(metadata.fileName, "tokenizer.ggml.model \"\(modelName)\" is not supported", hint: "gpt2 or llama")
        }
        return TokenizerDescription(
            model: model,
            preTokenizer: try metadata.stringIfPresent("tokenizer.ggml.pre") ?? "default",
            tokens: try metadata.strings("tokenizer.ggml.tokens"),
            merges: try metadata.stringsIfPresent("tokenizer.ggml.merges"),
            tokenTypes: try metadata.intsIfPresent("tokenizer.ggml.token_type")?.map { Int32(truncatingIfNeeded: $0) },
            scores: try metadata.floatsIfPresent("tokenizer.ggml.scores"),
            bosTokenId: try metadata.intIfPresent("tokenizer.ggml.bos_token_id"),
            eosTokenId: try metadata.intIfPresent("tokenizer.ggml.eos_token_id"),
            unknownTokenId: try metadata.intIfPresent("tokenizer.ggml.unknown_token_id"),
            paddingTokenId: try metadata.intIfPresent("tokenizer.ggml.padding_token_id"),
            addBosToken: try metadata.boolIfPresent("tokenizer.ggml.add_bos_token"),
            addEosToken: try metadata.boolIfPresent("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: try metadata.boolIfPresent("tokenizer.ggml.add_space_prefix"))
    }

    /// `tokenizer.json` if present, else the vocabulary-only `tokenizer.gguf` (with its chat template).
    private static func openTokenizer(in directory: URL) throws -> (Tokenizer, String?) {
        let json = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) { return (try Tokenizer(contentsOf: json), nil) }
        let vocabulary = directory.appendingPathComponent(vocabularyFileName)
        if FileManager.default.fileExists(atPath: vocabulary.path) {
            let file = try GGUFFile(contentsOf: vocabulary)
            return (try Tokenizer(description: tokenizerDescription(file.metadata)),
                    try file.metadata.stringIfPresent("tokenizer.chat_template"))
        }
        throw RunnerError(directory.path, "has no tokenizer", hint: "expected tokenizer.json (or \(vocabularyFileName))")
    }

    /// The chat template of a HF directory: `chat_template.jinja`, else `tokenizer_config.json`'s
    /// `chat_template` (a string, or a list of named templates of which `default` is used).
    private static func huggingFaceChatTemplate(in directory: URL) throws -> String? {
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) { return try String(contentsOf: jinja, encoding: .utf8) }
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] else {
            throw RunnerError(configURL.path, "is not a JSON object")
        }
        switch object["chat_template"] {
        case let text as String: return text
        case let named as [[String: Any]]:
            return named.first { $0["name"] as? String == "default" }?["template"] as? String
        default: return nil
        }
    }
}
