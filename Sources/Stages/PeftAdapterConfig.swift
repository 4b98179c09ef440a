// PEFT's `adapter_config.json` for a LoRA adapter on a causal LM: the fields PEFT 0.x writes, with
// its names, so `PeftModel.from_pretrained` reads our adapters (and we read theirs).
import Foundation

struct PeftAdapterConfig: Codable, Equatable {
    static let fileName = "adapter_config.json"
    /// `all-linear` on a Llama-family model, resolved as PEFT does (every Linear but the LM head).
    static let allLinear = ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]

    /// PEFT's `init_lora_weights`: `true` (Kaiming-uniform A) or `"gaussian"`.
    enum InitLoraWeights: Codable, Equatable {
        case kaiming, gaussian

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if (try? container.decode(Bool.self)) != nil { self = .kaiming; return }
            self = try container.decode(String.self) == "gaussian" ? .gaussian : .kaiming
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .kaiming: try container.encode(true)
            case .gaussian: try container.encode("gaussian")
            }
        }
    }

    var peftType = "LORA"
    var taskType = "CAUSAL_LM"
    var r: Int
    var loraAlpha: Double
    var loraDropout: Double
    var targetModules: [String]
    var bias = "none"
    var useRslora: Bool
    var useDora = false
    var fanInFanOut = false
    var inferenceMode = true
    var baseModelNameOrPath: String?
    var modulesToSave: [String]?
    var initLoraWeights: InitLoraWeights

    init(r: Int, loraAlpha: Double, loraDropout: Double, targetModules: [String], useRslora: Bool,
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

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", taskType = "task_type", r, loraAlpha = "lora_alpha", loraDropout = "lora_dropout"
        case targetModules = "target_modules", bias, useRslora = "use_rslora", useDora = "use_dora", fanInFanOut = "fan_in_fan_out"
        case inferenceMode = "inference_mode", baseModelNameOrPath = "base_model_name_or_path", modulesToSave = "modules_to_save"
        case initLoraWeights = "init_lora_weights"
    }
}
