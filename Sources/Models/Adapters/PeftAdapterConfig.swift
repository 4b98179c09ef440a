// PEFT's `adapter_config.json` for a LoRA adapter on a causal LM: the fields PEFT writes, under its
// names, so `PeftModel.from_pretrained` reads our adapters and we read theirs (unknown keys ignored,
// features we cannot apply rejected by `PeftAdapter.validate`).
import Basics
import Foundation

public struct PeftAdapterConfig: Codable, Equatable, Sendable {
    public static let fileName = "adapter_config.json"
    /// `all-linear` on a Llama-family model, resolved as PEFT does (every Linear but the LM head).
    public static let allLinear = ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]

    /// PEFT's `init_lora_weights`: `true` (Kaiming-uniform A), `"gaussian"`, or another scheme by name.
    public enum InitLoraWeights: Codable, Equatable, Sendable {
        case kaiming, gaussian
        case named(String)

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if (try? container.decode(Bool.self)) != nil { self = .kaiming; return }
            let name = try container.decode(String.self)
            self = name == "gaussian" ? .gaussian : .named(name)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .kaiming: try container.encode(true)
            case .gaussian: try container.encode("gaussian")
            case .named(let name): try container.encode(name)
            }
        }
    }

    public var peftType = "LORA"
    public var taskType: String? = "CAUSAL_LM"
    public var r: Int
    public var loraAlpha: Double
    public var loraDropout: Double
    /// Module-name suffixes; with `targetModulesRegex`, the one entry is a regex PEFT full-matches
    /// against each module's name (PEFT writes `target_modules` as a string then).
    public var targetModules: [String]
    public var targetModulesRegex = false
    public var bias = "none"
    public var useRslora: Bool
    public var useDora = false
    public var loraBias = false
    public var fanInFanOut = false
    public var inferenceMode = true
    /// The Hub name or path of the base (what `AutoPeftModel` loads); `revision` its Hub revision.
    public var baseModelNameOrPath: String?
    public var revision: String?
    public var modulesToSave: [String]?
    public var initLoraWeights: InitLoraWeights
    /// Per-module overrides of `r` / `lora_alpha`, keyed by a module-name pattern.
    public var rankPattern: [String: Int] = [:]
    public var alphaPattern: [String: Double] = [:]
    /// Only these layer indices carry adapters (null: every layer).
    public var layersToTransform: [Int]?

    public init(r: Int, loraAlpha: Double, loraDropout: Double, targetModules: [String], useRslora: Bool,
                baseModelNameOrPath: String?, modulesToSave: [String], initLoraWeights: InitLoraWeights) {
        self.r = r
        self.loraAlpha = loraAlpha
        self.loraDropout = loraDropout
        self.targetModules = targetModules
        self.useRslora = useRslora
        self.baseModelNameOrPath = baseModelNameOrPath
        self.modulesToSave = modulesToSave.isEmpty ? nil : modulesToSave
        self.initLoraWeights = initLoraWeights
    }

    /// The factor on the adapter path for `alpha` and rank `rank`: alpha/r, or alpha/√r with rsLoRA.
    public func scale(alpha: Double, rank: Int) -> Double {
        useRslora ? alpha / Double(rank).squareRoot() : alpha / Double(rank)
    }

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", taskType = "task_type", r, loraAlpha = "lora_alpha", loraDropout = "lora_dropout"
        case targetModules = "target_modules", bias, useRslora = "use_rslora", useDora = "use_dora", loraBias = "lora_bias"
        case fanInFanOut = "fan_in_fan_out", inferenceMode = "inference_mode", baseModelNameOrPath = "base_model_name_or_path"
        case revision, modulesToSave = "modules_to_save", initLoraWeights = "init_lora_weights"
        case rankPattern = "rank_pattern", alphaPattern = "alpha_pattern", layersToTransform = "layers_to_transform"
        // Written with PEFT's defaults so every PEFT version finds the keys it expects.
        case autoMapping = "auto_mapping", layersPattern = "layers_pattern", layerReplication = "layer_replication"
        case loftqConfig = "loftq_config", megatronConfig = "megatron_config", megatronCore = "megatron_core"
    }

    /// Reads PEFT's JSON: numbers where PEFT writes ints or floats, `target_modules` as a list or a
    /// regex string, nulls where PEFT allows them.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        peftType = try c.decodeIfPresent(String.self, forKey: .peftType) ?? "LORA"
        taskType = try c.decodeIfPresent(String.self, forKey: .taskType)
        r = try c.decode(Int.self, forKey: .r)
        loraAlpha = try c.decode(Double.self, forKey: .loraAlpha)
        loraDropout = try c.decodeIfPresent(Double.self, forKey: .loraDropout) ?? 0
        if let regex = try? c.decode(String.self, forKey: .targetModules) {
            (targetModules, targetModulesRegex) = ([regex], true)
        } else {
            targetModules = try c.decode([String].self, forKey: .targetModules)
        }
        bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? "none"
        useRslora = try c.decodeIfPresent(Bool.self, forKey: .useRslora) ?? false
        useDora = try c.decodeIfPresent(Bool.self, forKey: .useDora) ?? false
        loraBias = try c.decodeIfPresent(Bool.self, forKey: .loraBias) ?? false
        fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? false
        inferenceMode = try c.decodeIfPresent(Bool.self, forKey: .inferenceMode) ?? true
        baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        revision = try c.decodeIfPresent(String.self, forKey: .revision)
        modulesToSave = try c.decodeIfPresent([String].self, forKey: .modulesToSave)
        initLoraWeights = try c.decodeIfPresent(InitLoraWeights.self, forKey: .initLoraWeights) ?? .kaiming
        rankPattern = try c.decodeIfPresent([String: Int].self, forKey: .rankPattern) ?? [:]
        alphaPattern = try c.decodeIfPresent([String: Double].self, forKey: .alphaPattern) ?? [:]
        if let single = try? c.decode(Int.self, forKey: .layersToTransform) {
            layersToTransform = [single]
        } else {
            layersToTransform = try c.decodeIfPresent([Int].self, forKey: .layersToTransform)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(peftType, forKey: .peftType)
        try c.encode(taskType, forKey: .taskType)
        try c.encode(r, forKey: .r)
        try c.encode(loraAlpha, forKey: .loraAlpha)
        try c.encode(loraDropout, forKey: .loraDropout)
        if targetModulesRegex, let regex = targetModules.first {
            try c.encode(regex, forKey: .targetModules)
        } else {
            try c.encode(targetModules, forKey: .targetModules)
        }
        try c.encode(bias, forKey: .bias)
        try c.encode(useRslora, forKey: .useRslora)
        try c.encode(useDora, forKey: .useDora)
        try c.encode(loraBias, forKey: .loraBias)
        try c.encode(fanInFanOut, forKey: .fanInFanOut)
        try c.encode(inferenceMode, forKey: .inferenceMode)
        try c.encode(baseModelNameOrPath, forKey: .baseModelNameOrPath)
        try c.encode(revision, forKey: .revision)
        try c.encode(modulesToSave, forKey: .modulesToSave)
        try c.encode(initLoraWeights, forKey: .initLoraWeights)
        try c.encode(rankPattern, forKey: .rankPattern)
        try c.encode(alphaPattern, forKey: .alphaPattern)
        try c.encode(layersToTransform, forKey: .layersToTransform)
        try c.encodeNil(forKey: .autoMapping)
        try c.encodeNil(forKey: .layersPattern)
        try c.encodeNil(forKey: .layerReplication)
        try c.encode([String: Int](), forKey: .loftqConfig)
        try c.encodeNil(forKey: .megatronConfig)
        try c.encode("megatron.core", forKey: .megatronCore)
    }

    /// Reads `url`, naming the key path of a missing or mistyped field.
    /// - Throws: `RunnerError` ("adapter_config.json: lora_alpha: expected a number, found a string").
    public static func load(from url: URL) throws -> PeftAdapterConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunnerError(url.path, "is missing", hint: "a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors")
        }
        do {
            return try JSONDecoder().decode(PeftAdapterConfig.self, from: data)
        } catch let error as DecodingError {
            throw RunnerError(url.path, Self.describe(error), hint: "fix the file, or re-save the adapter with PEFT or runner")
        }
    }

    /// "key.path: what is wrong" for a decoding error.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.isEmpty ? "" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + ": "
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key]))is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath))expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath))expected \(typeName(type)), found null"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "\(path(context.codingPath))\(underlying ?? context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of strings"
        case is [Int].Type: "a list of integers"
        default: "a \(type)"
        }
    }
}
