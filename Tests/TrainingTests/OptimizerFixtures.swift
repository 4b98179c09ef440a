// Loads the optimizer golden fixtures (torch, transformers, bitsandbytes), written by
// tools/reference/optim_fixtures.py: a JSON index of named little-endian arrays in one .bin,
// plus comparison helpers shared by the optimizer tests.
import CPUBackend
import Compute
import Foundation
import Training

struct OptimizerFixtureMissing: Error, CustomStringConvertible {
    let what: String
    var description: String { "optimizer fixture \(what) missing; regenerate with .venv/bin/python tools/reference/optim_fixtures.py" }
}

struct OptimizerFixtures {
    let cases: [String: Any]
    private let arrays: [String: [String: Any]]
    private let blob: Data

    static let shared: Result<OptimizerFixtures, Error> = Result { try OptimizerFixtures() }
    static func load() throws -> OptimizerFixtures { try shared.get() }

    private init() throws {
        guard let json = Bundle.module.url(forResource: "optim_fixtures", withExtension: "json", subdirectory: "Fixtures"),
              let bin = Bundle.module.url(forResource: "optim_fixtures", withExtension: "bin", subdirectory: "Fixtures") else {
            throw OptimizerFixtureMissing(what: "Fixtures/optim_fixtures.{json,bin}")
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        cases = root["cases"] as! [String: Any]
        arrays = root["arrays"] as! [String: [String: Any]]
        blob = try Data(contentsOf: bin)
    }

    func bytes(_ name: String) throws -> [UInt8] {
        guard let entry = arrays[name] else { throw OptimizerFixtureMissing(what: name) }
        let offset = entry["offset"] as! Int, count = entry["byteCount"] as! Int
        return [UInt8](blob[offset..<(offset + count)])
    }

    func floats(_ name: String) throws -> [Float] {
        let b = try bytes(name)
        return stride(from: 0, to: b.count, by: 4).map {
            Float(bitPattern: UInt32(b[$0]) | UInt32(b[$0 + 1]) << 8 | UInt32(b[$0 + 2]) << 16 | UInt32(b[$0 + 3]) << 24)
        }
    }

    func has(_ name: String) -> Bool { arrays[name] != nil }
}

/// How closely two f32 arrays agree.
struct Agreement: CustomStringConvertible {
    var count = 0
    var bitExact = 0
    var maxRelative: Float = 0
    /// Largest distance in units in the last place (adjacent floats are 1 apart).
    var maxULPs: Int64 = 0

    /// `floor`: values smaller than it are compared relative to it instead. For a parameter after
    /// optimizer steps, the learning rate: rounding is relative to the update, whose size is about lr,
    /// so a parameter near zero carries an error relative to lr, not to itself.
    init(_ actual: [Float], _ expected: [Float], floor: Float = 1e-30) {
        precondition(actual.count == expected.count, "\(actual.count) vs \(expected.count) values")
        count = actual.count
        for (a, e) in zip(actual, expected) {
            if a.bitPattern == e.bitPattern { bitExact += 1; continue }
            let relative = abs(a - e) / max(abs(e), floor)
            maxRelative = max(maxRelative, relative.isNaN ? .infinity : relative)
            maxULPs = max(maxULPs, ulpDistance(a, e))
        }
    }

    /// Every value within `relative` of the reference.
    func within(_ relative: Float) -> Bool { maxRelative <= relative }
    var description: String { "\(bitExact)/\(count) bit-exact, max relative error \(maxRelative), max \(maxULPs) ulp" }
}

/// Distance between two finite floats counted in representable values.
func ulpDistance(_ a: Float, _ b: Float) -> Int64 {
    func ordered(_ x: Float) -> Int64 {
        let bits = Int64(Int32(bitPattern: x.bitPattern))
        return bits < 0 ? Int64(Int32.min) - bits : bits
    }
    return abs(ordered(a) - ordered(b))
}

/// A trainable parameter on the CPU backend with given initial values.
func makeParameter(_ backend: CPUBackend, name: String, values: [Float], decays: Bool) -> TrainableParameter {
    let value = backend.allocate(Shape([values.count]), dtype: .f32)
    backend.write(values, to: value)
    let gradient = backend.allocate(Shape([values.count]), dtype: .f32)
    return TrainableParameter(name: name, value: value, gradient: gradient, decays: decays)
}
