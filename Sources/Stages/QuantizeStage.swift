// The `quantize` stage: records the 4-bit quantization settings (`quantize.json`). The NF4/FP4
// weights themselves are made when `train` loads the base: quantization is bit-exact and
// deterministic, so caching the settings gives the same weights as caching the quantized tensors.
import Basics
import Foundation
import Pipeline

struct QuantizeStage: StageImplementation {
    static let kind = "quantize"
    static let version = 1
    static let fileName = "quantize.json"

    func run(_ context: StageContext) throws -> StageResult {
        let settings = QuantizeSettings(
            method: try context.string("method"), blockSize: try context.int("block_size"),
            doubleQuant: try context.bool("double_quant"), computeDType: try context.string("compute_dtype"),
            skipModules: try context.strings("skip_modules"))
        guard settings.method != "int8" else {
            throw RunnerError("stage `\(context.stage.name)`: method", "8-bit quantization of the base is not implemented yet",
                              hint: "use method: nf4 (QLoRA) or fp4")
        }
        try StageJSON.write(settings, to: context.outputDirectory.appendingPathComponent(Self.fileName))
        context.log("\(settings.method), blocks of \(settings.blockSize)\(settings.doubleQuant ? ", double quant" : ""); "
                    + "the base is quantized when training loads it")
        return StageResult(metrics: ["block_size": Double(settings.blockSize)], primaryFile: Self.fileName)
    }
}

/// `quantize.json`: how `train` quantizes the base's Linear weights.
struct QuantizeSettings: Codable, Equatable {
    var method: String          // nf4 | fp4
    var blockSize: Int
    var doubleQuant: Bool
    var computeDType: String    // f32 | bf16
    var skipModules: [String]   // module name suffixes left dense

    enum CodingKeys: String, CodingKey {
        case method, blockSize = "block_size", doubleQuant = "double_quant", computeDType = "compute_dtype", skipModules = "skip_modules"
    }
}
