// The `prepare_kbit` stage: records how a quantized base is made ready for adapter training
// (`prepare.json`: activation checkpointing, f32 norms). `train` inherits its checkpointing param.
import Foundation
import Models
import Pipeline

struct PrepareKbitStage: StageImplementation {
    static let kind = "prepare_kbit"
    static let version = 1
    static let fileName = "prepare.json"

    func run(_ context: StageContext) throws -> StageResult {
        let settings = PrepareSettings(gradientCheckpointing: try context.activationCheckpointing(),
                                       upcastNorms: try context.bool("upcast_norms"))
        try StageJSON.write(settings, to: context.outputDirectory.appendingPathComponent(Self.fileName))
        return StageResult(primaryFile: Self.fileName)
    }
}

/// `prepare.json`. Norm weights are always f32 during training here (the trainable model holds
/// every non-quantized tensor as loaded, and `train` loads in f32), so `upcast_norms` is recorded
/// for the record and PEFT-compatibility only. `gradient_checkpointing` is written as in the recipe
/// (`true`, `false` or `"selective"`), so artifacts of the boolean settings are unchanged.
struct PrepareSettings: Codable, Equatable {
    var gradientCheckpointing: ActivationCheckpointing
    var upcastNorms: Bool

    enum CodingKeys: String, CodingKey {
        case gradientCheckpointing = "gradient_checkpointing", upcastNorms = "upcast_norms"
    }
}
