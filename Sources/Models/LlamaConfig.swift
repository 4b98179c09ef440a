// The hyperparameters of a Llama-family model, parsed from a Hugging Face `config.json`
// (transformers 4 and 5 spellings) and checked for consistency before any weight is read.
import Basics
import Foundation

/// Rotary embedding parameters: base frequency and optional context-extension scaling.
public struct RopeConfig: Equatable, Sendable {
    public enum Scaling: Equatable, Sendable {
        /// Llama 3.1: long wavelengths divided by `factor`, a smooth ramp between the two bands.
        case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalMaxPositions: Int)
        /// Positions divided by `factor` (equivalently every frequency).
        case linear(factor: Float)
    }

    public var theta: Float
    public var scaling: Scaling?

    public init(theta: Float, scaling: Scaling? = nil) {
        self.theta = theta
        self.scaling = scaling
    }
}

/// A Llama-family configuration (B, T, C, NH, HD, KVH named as in llm.c in the model code).
public struct LlamaConfig: Equatable, Sendable {
    public enum Architecture: String, Sendable, CaseIterable {
        case llama, mistral, qwen2
    }

    public var architecture: Architecture
    public var vocabSize: Int            // V
    public var hiddenSize: Int           // C
    public var intermediateSize: Int     // H (SwiGLU width)
    public var layerCount: Int           // L
    public var headCount: Int            // NH
    public var kvHeadCount: Int          // KVH
    public var headDim: Int              // HD
    public var rmsNormEps: Float
    public var rope: RopeConfig
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    /// q/k/v projections carry biases (Qwen2; Llama with `attention_bias`).
    public var qkvBias: Bool
    /// o_proj carries a bias (Llama with `attention_bias`).
    public var outputBias: Bool
    /// gate/up/down projections carry biases (Llama with `mlp_bias`).
    public var mlpBias: Bool
    /// Mistral/Qwen2 sliding-window attention width, when enabled.
    public var slidingWindow: Int?
    public var bosTokenId: Int32?
    public var eosTokenIds: [Int32]

    public init(architecture: Architecture = .llama, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
                layerCount: Int, headCount: Int, kvHeadCount: Int, headDim: Int? = nil, rmsNormEps: Float = 1e-6,
                rope: RopeConfig = RopeConfig(theta: 10_000), maxPositionEmbeddings: Int = 2048,
                tieWordEmbeddings: Bool = false, qkvBias: Bool = false, outputBias: Bool = false, mlpBias: Bool = false,
                slidingWindow: Int? = nil, bosTokenId: Int32? = nil, eosTokenIds: [Int32] = []) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.rmsNormEps = rmsNormEps
        self.rope = rope
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.qkvBias = qkvBias
        self.outputBias = outputBias
        self.mlpBias = mlpBias
        self.slidingWindow = slidingWindow
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
    }

    /// Checks that the shapes fit together. Throws a `RunnerError` naming the offending key.
    public func validate(source: String = "config") throws {
        func fail(_ key: String, _ message: String, hint: String? = nil) -> RunnerError {
            RunnerError("\(source): \(key)", message, hint: hint)
        }
        for (key, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                             ("num_key_value_heads", kvHeadCount), ("head_dim", headDim),
                             ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 {
            throw fail(key, "must be a positive integer, got \(value)")
        }
        if headCount % kvHeadCount != 0 {
            throw fail("num_key_value_heads", "\(kvHeadCount) does not divide num_attention_heads = \(headCount)",
                       hint: "grouped-query attention shares each KV head among an equal number of query heads")
        }
        if headDim % 2 != 0 {
            throw fail("head_dim", "must be even for rotary embeddings, got \(headDim)")
        }
        if !(rmsNormEps > 0) { throw fail("rms_norm_eps", "must be > 0, got \(rmsNormEps)") }
        if !(rope.theta > 0) { throw fail("rope_theta", "must be > 0, got \(rope.theta)") }
        switch rope.scaling {
        case .llama3(let factor, let low, let high, let original):
            if !(factor > 0) { throw fail("rope_scaling.factor", "must be > 0, got \(factor)") }
            if !(low > 0) || !(high > low) {
                throw fail("rope_scaling.high_freq_factor", "must be greater than low_freq_factor (\(low)) > 0, got \(high)")
            }
            if original <= 0 { throw fail("rope_scaling.original_max_position_embeddings", "must be positive, got \(original)") }
        case .linear(let factor):
            if !(factor > 0) { throw fail("rope_scaling.factor", "must be > 0, got \(factor)") }
        case nil: break
        }
        for id in eosTokenIds + (bosTokenId.map { [$0] } ?? []) where id < 0 || Int(id) >= vocabSize {
            throw fail("eos_token_id", "token id \(id) is outside the vocabulary (0..<\(vocabSize))")
        }
    }
}

extension LlamaConfig {
    /// Reads and validates `config.json` from a model directory (or the file itself).
    public static func load(contentsOf url: URL) throws -> LlamaConfig {
        let file = url.pathExtension.lowercased() == "json" ? url : url.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw RunnerError(file.path, "cannot read the model config: \(error.localizedDescription)")
        }
        return try parse(json: data, source: file.path)
    }

    /// Parses a HF `config.json`. `source` names the file in error messages.
    public static func parse(json: Data, source: String = "config.json") throws -> LlamaConfig {
        guard let object = try? JSONSerialization.jsonObject(with: json), let dict = object as? [String: Any] else {
            throw RunnerError(source, "is not a JSON object", hint: "a Hugging Face config.json is expected")
        }
        let keys = JSONKeys(dict: dict, source: source)
        let modelType = try keys.string("model_type") ?? "llama"
        guard let architecture = Architecture(rawValue: modelType) else {
            throw RunnerError("\(source): model_type", "`\(modelType)` is not supported",
                              hint: "supported: \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let act = try keys.string("hidden_act"), act != "silu" {
            throw RunnerError("\(source): hidden_act", "`\(act)` is not supported", hint: "the Llama family uses silu")
        }
        let headCount = try keys.int("num_attention_heads", required: true)!
        let attentionBias = try keys.bool("attention_bias") ?? false
        var config = LlamaConfig(
            architecture: architecture,
            vocabSize: try keys.int("vocab_size", required: true)!,
            hiddenSize: try keys.int("hidden_size", required: true)!,
            intermediateSize: try keys.int("intermediate_size", required: true)!,
            layerCount: try keys.int("num_hidden_layers", required: true)!,
            headCount: headCount,
            kvHeadCount: try keys.int("num_key_value_heads") ?? headCount,
            headDim: try keys.int("head_dim"),
            rmsNormEps: Float(try keys.double("rms_norm_eps") ?? 1e-6),
            rope: try parseRope(keys),
            maxPositionEmbeddings: try keys.int("max_position_embeddings") ?? 2048,
            tieWordEmbeddings: try keys.bool("tie_word_embeddings") ?? false,
            qkvBias: architecture == .qwen2 || attentionBias,
            outputBias: architecture != .qwen2 && attentionBias,
            mlpBias: try keys.bool("mlp_bias") ?? false,
            bosTokenId: try keys.int("bos_token_id").map(Int32.init),
            eosTokenIds: try keys.intList("eos_token_id").map(Int32.init))
        if let hidden = try keys.int("hidden_size"), try keys.int("head_dim") == nil, hidden % headCount != 0 {
            throw RunnerError("\(source): hidden_size", "\(hidden) is not a multiple of num_attention_heads = \(headCount)",
                              hint: "set head_dim explicitly")
        }
        let useSliding = architecture == .qwen2 ? (try keys.bool("use_sliding_window") ?? false) : true
        if useSliding, let window = try keys.int("sliding_window") { config.slidingWindow = window }
        try config.validate(source: source)
        return config
    }

    /// `rope_theta` + `rope_scaling` (transformers 4) or `rope_parameters` (transformers 5).
    private static func parseRope(_ keys: JSONKeys) throws -> RopeConfig {
        let parameters = try keys.object("rope_parameters") ?? keys.object("rope_scaling")
        let prefix = try keys.object("rope_parameters") != nil ? "rope_parameters" : "rope_scaling"
        let theta = try keys.double("rope_theta") ?? parameters?.double("rope_theta") ?? 10_000
        guard let parameters else { return RopeConfig(theta: Float(theta)) }
        let type = try parameters.string("rope_type") ?? parameters.string("type") ?? "default"
        switch type {
        case "default":
            return RopeConfig(theta: Float(theta))
        case "linear":
            return RopeConfig(theta: Float(theta), scaling: .linear(factor: Float(try parameters.double("factor", required: true)!)))
        case "llama3":
            return RopeConfig(theta: Float(theta), scaling: .llama3(
                factor: Float(try parameters.double("factor", required: true)!),
                lowFreqFactor: Float(try parameters.double("low_freq_factor", required: true)!),
                highFreqFactor: Float(try parameters.double("high_freq_factor", required: true)!),
                originalMaxPositions: try parameters.int("original_max_position_embeddings", required: true)!))
        default:
            throw RunnerError("\(keys.source): \(prefix).rope_type", "`\(type)` is not supported",
                              hint: "supported: default, linear, llama3")
        }
    }
}

/// True for JSON `true`/`false` (Foundation bridges every NSNumber to Bool, so `is Bool` cannot tell).
private func isJSONBool(_ value: Any) -> Bool {
    String(describing: type(of: value)).contains("Boolean") || type(of: value) == Bool.self
}

/// Typed access to a JSON object's keys with errors that name the key.
struct JSONKeys {
    let dict: [String: Any]
    let source: String
    var path = ""

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func value(_ key: String, required: Bool) throws -> Any? {
        guard let value = dict[key], !(value is NSNull) else {
            if required { throw RunnerError("\(source): \(name(key))", "is missing") }
            return nil
        }
        return value
    }

    func int(_ key: String, required: Bool = false) throws -> Int? {
        guard let value = try value(key, required: required) else { return nil }
        guard let number = value as? NSNumber, !isJSONBool(value), number.doubleValue == number.doubleValue.rounded(),
              abs(number.doubleValue) < 1e15 else {
            throw RunnerError("\(source): \(name(key))", "must be an integer, got \(value)")
        }
        return number.intValue
    }

    func double(_ key: String, required: Bool = false) throws -> Double? {
        guard let value = try value(key, required: required) else { return nil }
        guard let number = value as? NSNumber, !isJSONBool(value) else { throw RunnerError("\(source): \(name(key))", "must be a number, got \(value)") }
        return number.doubleValue
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = try value(key, required: false) else { return nil }
        guard isJSONBool(value), let flag = value as? Bool else { throw RunnerError("\(source): \(name(key))", "must be true or false, got \(value)") }
        return flag
    }

    func string(_ key: String) throws -> String? {
        guard let value = try value(key, required: false) else { return nil }
        guard let text = value as? String else { throw RunnerError("\(source): \(name(key))", "must be a string, got \(value)") }
        return text
    }

    /// An integer or a list of integers (`eos_token_id: 2` or `[2, 7]`).
    func intList(_ key: String) throws -> [Int] {
        guard let value = try value(key, required: false) else { return [] }
        if let list = value as? [Any] {
            return try list.enumerated().map { index, item in
                guard let number = item as? NSNumber, !isJSONBool(item) else {
                    throw RunnerError("\(source): \(name(key))[\(index)]", "must be an integer, got \(item)")
                }
                return number.intValue
            }
        }
        return [try int(key)!]
    }

    func object(_ key: String) throws -> JSONKeys? {
        guard let value = try value(key, required: false) else { return nil }
        guard let inner = value as? [String: Any] else { throw RunnerError("\(source): \(name(key))", "must be an object, got \(value)") }
        return JSONKeys(dict: inner, source: source, path: name(key))
    }
}
