// The `merge` stage: folds a trained LoRA adapter into its base — dequantized when the adapter was
// trained on a 4-bit base — and writes a plain Hugging Face checkpoint (config, generation config,
// tokenizer and chat template, safetensors sharded past `max_shard_size`) that `generate`, `export`
// and transformers take. The pipeline materializes it at `path` when the recipe gives one.
import Basics
import Compute
import Formats
import Foundation
import Models
import Pipeline

struct MergeStage: StageImplementation {
    static let kind = "merge"
    /// 2: a GGUF-sourced base gets tokenizer.json + tokenizer_config.json instead of tokenizer.gguf.
    static let version = 2
    /// Tokenizer and generation files carried over from a Hugging Face base, as the `load` stage wrote them.
    static let carriedFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                               "generation_config.json"]

    func run(_ context: StageContext) throws -> StageResult {
        let name = context.stage.name
        let adapterInput = try context.input("adapter"), baseInput = try context.input("base")
        guard let dtype = DType(rawValue: try context.string("dtype")) else {
            throw RunnerError("stage `\(name)`: dtype", "unsupported dtype", hint: "use f16, bf16 or f32")
        }
        let adapter = try PeftAdapter.open(adapterInput.directory)
        let trainedOn = try ModelLineage(try InferenceModel.trainedModelInput(of: adapterInput, stageName: name), for: name)
        let base = try ModelLineage(baseInput, for: name)
        try Self.checkQuantization(trained: trainedOn.quantize, given: base.quantize, adapter: adapterInput, base: baseInput, stage: name)
        if trainedOn.base.key != base.base.key {
            context.log("warning: the adapter was trained on `\(trainedOn.base.stageName)`, merging into `\(base.base.stageName)` (another load)")
        }

        let bundle = try ModelBundle.open(base.base.directory)
        let dense = try InferenceModel.baseWeights(base)
        let weights = try AdaptedWeights(base: dense.source, baseConfig: dense.config, adapter: adapter,
                                         baseDescription: "`\(baseInput.stageName)`", transform: dense.transform)
        context.log("merging \(adapter.deltas.count) adapted modules into \(dense.config.architecture.rawValue) "
                    + "(\(base.quantize.map { "dequantized \($0.method)" } ?? "unquantized") base), writing \(dtype.rawValue)")
        try context.checkCancellation()
        let output = context.outputDirectory
        let written = try CanonicalWeights.writeHuggingFaceCheckpoint(from: weights, config: weights.config, dtype: dtype, to: output,
                                                                       maxShardBytes: try context.int("max_shard_size"))
        try AtomicFile.write(weights.config.huggingFaceConfigJSON(dtype: dtype), to: output.appendingPathComponent("config.json"))
        try Self.carryTokenizer(from: base.base.directory, bundle: bundle, to: output)

        let parameters = weights.config.weightShapes().reduce(0) { $0 + $1.1.count }
        let shards = written.filter { $0.pathExtension == "safetensors" }.count
        return StageResult(metrics: ["parameters": Double(parameters), "shards": Double(shards),
                                     "adapted_modules": Double(adapter.deltas.count)])
    }

    /// An adapter trained on a 4-bit base learned the quantization error: merge it into that same
    /// quantization (dequantized), never into a differently quantized or dense base.
    static func checkQuantization(trained: QuantizeSettings?, given: QuantizeSettings?, adapter: InputArtifact,
                                  base: InputArtifact, stage: String) throws {
        func describe(_ q: QuantizeSettings?) -> String {
            guard let q else { return "an unquantized base" }
            return "a base quantized to \(q.method) (blocks of \(q.blockSize)\(q.doubleQuant ? ", double quant" : "")"
                + (q.skipModules.isEmpty ? "" : ", skipping \(q.skipModules.joined(separator: ", "))") + ")"
        }
        func same(_ a: QuantizeSettings?, _ b: QuantizeSettings?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case let (a?, b?): a.method == b.method && a.blockSize == b.blockSize && a.doubleQuant == b.doubleQuant
                && Set(a.skipModules) == Set(b.skipModules)
            default: false
            }
        }
        guard same(trained, given) else {
            throw RunnerError("stage `\(stage)`", "the adapter from `\(adapter.stageName)` was trained on \(describe(trained)), "
                              + "but `base` (`\(base.stageName)`) is \(describe(given))",
                              hint: "point `base` at the model stage the adapter's `lora` stage was built on")
        }
    }

    /// Tokenizer, chat template and generation defaults of the base. A base loaded from a GGUF keeps
    /// its tokenizer in `tokenizer.gguf`: it is written as tokenizer.json, tokenizer_config.json (with
    /// the chat template) and special_tokens_map.json. A missing `generation_config.json` is made
    /// from the config's special tokens.
    static func carryTokenizer(from source: URL, bundle: ModelBundle, to output: URL) throws {
        var copied: Set<String> = []
        let vocabulary = source.appendingPathComponent(ModelBundle.vocabularyFileName)
        if !FileManager.default.fileExists(atPath: source.appendingPathComponent("tokenizer.json").path),
           FileManager.default.fileExists(atPath: vocabulary.path) {
            let file = try GGUFFile(contentsOf: vocabulary)
            try HuggingFaceTokenizerFiles.write(from: file.metadata, modelMaxLength: bundle.config.maxPositionEmbeddings, to: output)
            copied.formUnion(HuggingFaceTokenizerFiles.fileNames)
        }
        for file in carriedFiles where !copied.contains(file) && FileManager.default.fileExists(atPath: source.appendingPathComponent(file).path) {
            try AtomicFile.write(Data(contentsOf: source.appendingPathComponent(file)), to: output.appendingPathComponent(file))
            copied.insert(file)
        }
        let tokenizerConfig = (try? JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("tokenizer_config.json")))) as? [String: Any]
        if let template = bundle.chatTemplate, !copied.contains("chat_template.jinja"), tokenizerConfig?["chat_template"] == nil {
            try AtomicFile.write(Data(template.utf8), to: output.appendingPathComponent("chat_template.jinja"))
        }
        if !copied.contains("generation_config.json") {
            var object: [String: Any] = ["_from_model_config": true]
            if let bos = bundle.config.bosTokenId { object["bos_token_id"] = Int(bos) }
            let eos = bundle.eosTokenIds.sorted().map { Int($0) }
            if eos.count == 1 { object["eos_token_id"] = eos[0] } else if !eos.isEmpty { object["eos_token_id"] = eos }
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
                                 to: output.appendingPathComponent("generation_config.json"))
        }
    }
}
