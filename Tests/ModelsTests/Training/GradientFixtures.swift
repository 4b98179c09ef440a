// Reads the gradient fixtures of tools/reference/grad_fixtures.py (transformers + PEFT, f32) and
// recreates the patterned LoRA weights the script put into PEFT, so the Swift model trains on
// exactly the same adapters.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

/// One case of Fixtures/grad: the batch, PEFT's loss and gradients.
struct GradientFixture {
    let name: String
    let json: [String: Any]
    let tensors: [(name: String, shape: [Int], values: [Float])]

    init(_ name: String) throws {
        self.name = name
        let dir = Paths.fixtures.appendingPathComponent("grad")
        json = try loadJSON(dir.appendingPathComponent("\(name).json"))
        let data = try loadFloats(dir.appendingPathComponent("\(name).bin"))
        tensors = try (json["tensors"] as! [[String: Any]]).map { entry in
            let shape = (entry["shape"] as! [Any]).map { ($0 as! NSNumber).intValue }
            let offset = (entry["offset"] as! NSNumber).intValue
            let count = shape.reduce(1, *)
            try #require(offset + count <= data.count, "fixture \(name): tensor beyond the data")
            return (entry["name"] as! String, shape, Array(data[offset..<offset + count]))
        }
    }

    var loss: Float { (json["loss"] as! NSNumber).floatValue }
    var tokens: Int { (json["tokens"] as! NSNumber).intValue }
    var modelDirectory: URL { Paths.fixtures.appendingPathComponent("tiny/\(json["model"] as! String)") }
    var gradNorms: [String: Double] { (json["grad_norms"] as? [String: Any] ?? [:]).mapValues { ($0 as! NSNumber).doubleValue } }

    /// The batch as the script fed it (input ids and unshifted labels).
    var batch: TrainingBatch {
        let ids = (json["input_ids"] as! [[Any]]), labels = (json["labels"] as! [[Any]])
        return TrainingBatch(tokens: ids.flatMap(ints), labels: labels.flatMap(ints), batchSize: ids.count)
    }

    var bBound: Double { (json["b_bound"] as? NSNumber)?.doubleValue ?? 0.2 }

    var loraConfig: LoraConfig {
        LoraConfig(rank: (json["r"] as! NSNumber).intValue, alpha: (json["alpha"] as! NSNumber).floatValue,
                   useRSLoRA: json["rslora"] as! Bool, modulesToSave: json["modules_to_save"] as! [String])
    }
}

/// FNV-1a 64 of a string (as the script's `fnv1a`).
func fixtureFNV1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
}

/// The script's `pattern(name, shape, bound)`: uniform in [-bound, bound) from SplitMix64 of (name, index).
func fixturePattern(_ name: String, count: Int, bound: Double) -> [Float] {
    let salt = fixtureFNV1a(name)
    return (0..<count).map { i in
        var z = salt &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = Double(z >> 40) / Double(1 << 24)
        return Float((u * 2 - 1) * bound)
    }
}

/// Loads the script's patterned A/B values into every adapter of `model` (other trainables unchanged).
/// `bBound` is the fixture's `b_bound`.
func loadPatternedAdapters(_ model: TrainableModel, bBound: Double = 0.2) throws {
    var tensors = model.exportAdapter()
    for (name, tensor) in tensors {
        if name.contains(".lora_A.") {
            tensors[name] = Tensor.host(fixturePattern(name, count: tensor.count, bound: 1 / Double(tensor.shape[1]).squareRoot()), shape: tensor.shape)
        } else if name.contains(".lora_B.") {
            tensors[name] = Tensor.host(fixturePattern(name, count: tensor.count, bound: bBound), shape: tensor.shape)
        }
    }
    try model.loadAdapter(tensors)
}

/// ‖a − b‖ / ‖b‖ in f64.
func relativeNormError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, norm = 0.0
    for i in 0..<a.count {
        diff += Double(a[i] - b[i]) * Double(a[i] - b[i])
        norm += Double(b[i]) * Double(b[i])
    }
    return (diff / max(norm, 1e-300)).squareRoot()
}

func l2Norm(_ a: [Float]) -> Double { a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
