// `gradient_checkpointing` as `prepare_kbit` and `train` read it: the recipe's `true | false |
// selective` (checked by the compiler) as the model's `ActivationCheckpointing`.
import Basics
import Models
import Pipeline
import Recipe

extension StageContext {
    /// `true` → `.layer` (PEFT's whole-layer checkpointing), `false` → `.off`, `selective` → `.selective`.
    func activationCheckpointing(_ key: String = "gradient_checkpointing") throws -> ActivationCheckpointing {
        switch param(key) {
        case .bool(true)?: return .layer
        case .bool(false)?: return .off
        case .string("selective")?: return .selective
        case let value:
            throw RunnerError("stage `\(stage.name)` (\(stage.kind))",
                              "param `\(key)` is \(value.map { "`\($0.canonicalJSON)`" } ?? "missing"), expected true, false or `selective`",
                              hint: "the stage's StageSpec and its implementation disagree; this is a bug in runner")
        }
    }
}
