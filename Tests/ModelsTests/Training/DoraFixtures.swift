// Reads the DoRA fixtures of tools/reference/dora_fixtures.py (transformers + PEFT `use_dora`, f32):
// one forward/backward's loss and gradients, PEFT's initial magnitudes, and the tiny model they ran on.
import Compute
import CPUBackend
import Foundation
import Models
import Quant
import Testing

/// One `grad_<case>` of Fixtures/dora.
struct DoraGradientFixture {
    let name: String
    let json: [String: Any]
    /// Gradients by PEFT's saved name (`…lora_A.weight`, `…lora_B.weight`, `…lora_magnitude_vector`).
    let gradients: [String: (shape: [Int], values: [Float])]
    /// PEFT's magnitudes right after `get_peft_model` (‖W‖ per output row), by saved name.
    let initialMagnitudes: [String: [Float]]

    static let directory = Paths.fixtures.appendingPathComponent("dora")

    init(_ name: String) throws {
        self.name = name
        json = try loadJSON(Self.directory.appendingPathComponent("grad_\(name).json"))
        let data = try loadFloats(Self.directory.appendingPathComponent("grad_\(name).bin"))
        var gradients: [String: (shape: [Int], values: [Float])] = [:], initial: [String: [Float]] = [:]
        for entry in json["tensors"] as! [[String: Any]] {
            let shape = (entry["shape"] as! [Any]).map { ($0 as! NSNumber).intValue }
            let offset = (entry["offset"] as! NSNumber).intValue, count = shape.reduce(1, *)
            try #require(offset + count <= data.count, "fixture \(name): tensor beyond the data")
            let tensorName = entry["name"] as! String, values = Array(data[offset..<offset + count])
            if tensorName.hasSuffix("#initial") {
                initial[String(tensorName.dropLast("#initial".count))] = values
            } else {
                gradients[tensorName] = (shape, values)
            }
        }
        self.gradients = gradients
        initialMagnitudes = initial
    }

    var loss: Float { (json["loss"] as! NSNumber).floatValue }
    var tokens: Int { (json["tokens"] as! NSNumber).intValue }
    var modelDirectory: URL { Paths.fixtures.appendingPathComponent("tiny/\(json["model"] as! String)") }
    var isFourBit: Bool { json["four_bit"] != nil }

    var batch: TrainingBatch {
        let ids = (json["input_ids"] as! [[Any]]), labels = (json["labels"] as! [[Any]])
        return TrainingBatch(tokens: ids.flatMap(ints), labels: labels.flatMap(ints), batchSize: ids.count)
    }

    /// The script's settings as a DoRA `LoraConfig` (all-linear; dropout masks seeded as the script's).
    var loraConfig: LoraConfig {
        LoraConfig(rank: (json["r"] as! NSNumber).intValue, alpha: (json["alpha"] as! NSNumber).floatValue,
                   dropout: (json["dropout"] as! NSNumber).floatValue, useRSLoRA: json["rslora"] as! Bool,
                   seed: UInt64((json["seed"] as? NSNumber)?.intValue ?? 0), useDora: true)
    }

    /// The fixture's model with DoRA (NF4 base for the 4-bit case), magnitudes initialized by runner.
    func makeModel(checkpointing: ActivationCheckpointing, mode: TrainingMode? = nil) throws -> TrainableModel {
        let backend = makeBackend()
        let config = try LlamaConfig.load(contentsOf: modelDirectory)
        let weights = try LlamaWeights.load(from: try SafetensorsWeights(at: modelDirectory), config: config, backend: backend)
        let base = isFourBit ? try FourBitBase.quantize(weights, config: config, backend: backend, type: .nf4, blockSize: 64, doubleQuant: true) : [:]
        return try TrainableModel(config: config, weights: weights, backend: backend, mode: mode ?? .lora(loraConfig),
                                  maxBatch: batch.batchSize, maxSequence: batch.sequenceLength, checkpointing: checkpointing,
                                  lossChunkRows: 7, fourBitBase: base)
    }
}
