// QuantTests support: loads the bitsandbytes golden fixtures (a JSON index of named little-endian
// arrays in one .bin, written by tools/reference/quant_fixtures.py).
import Foundation
import Quant

enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    var description: String {
        switch self {
        case .missing(let what): "fixture \(what) missing; regenerate with .venv/bin/python tools/reference/quant_fixtures.py"
        }
    }
}

struct Fixtures {
    let meta: [String: Any]
    private let index: [String: [String: Any]]
    private let blob: Data

    static let shared: Result<Fixtures, Error> = Result { try Fixtures() }

    static func load() throws -> Fixtures { try shared.get() }

    private init() throws {
        guard let json = Bundle.module.url(forResource: "quant_fixtures", withExtension: "json", subdirectory: "Fixtures"),
              let bin = Bundle.module.url(forResource: "quant_fixtures", withExtension: "bin", subdirectory: "Fixtures") else {
            throw FixtureError.missing("Fixtures/quant_fixtures.{json,bin}")
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        meta = root["meta"] as! [String: Any]
        index = root["arrays"] as! [String: [String: Any]]
        blob = try Data(contentsOf: bin)
    }

    func cases(_ group: String) -> [[String: Any]] { meta[group] as? [[String: Any]] ?? [] }

    func dtype(_ name: String) throws -> String {
        guard let entry = index[name] else { throw FixtureError.missing(name) }
        return entry["dtype"] as! String
    }

    func shape(_ name: String) throws -> [Int] {
        guard let entry = index[name] else { throw FixtureError.missing(name) }
        return entry["shape"] as! [Int]
    }

    func bytes(_ name: String) throws -> [UInt8] {
        guard let entry = index[name] else { throw FixtureError.missing(name) }
        let offset = entry["offset"] as! Int, count = entry["byteCount"] as! Int
        return [UInt8](blob[offset..<(offset + count)])
    }

    func floats(_ name: String) throws -> [Float] {
        try words32(name).map { Float(bitPattern: $0) }
    }

    func words32(_ name: String) throws -> [UInt32] {
        let b = try bytes(name)
        return stride(from: 0, to: b.count, by: 4).map {
            UInt32(b[$0]) | UInt32(b[$0 + 1]) << 8 | UInt32(b[$0 + 2]) << 16 | UInt32(b[$0 + 3]) << 24
        }
    }

    func halves(_ name: String) throws -> [UInt16] {
        let b = try bytes(name)
        return stride(from: 0, to: b.count, by: 2).map { UInt16(b[$0]) | UInt16(b[$0 + 1]) << 8 }
    }

    func int8s(_ name: String) throws -> [Int8] { try bytes(name).map { Int8(bitPattern: $0) } }
}

/// An input array of f32 or 16-bit bit patterns, kept alive while a `QuantInput` views it.
enum FixtureInput {
    case f32([Float])
    case bf16([UInt16])
    case f16([UInt16])

    init(_ fixtures: Fixtures, _ name: String) throws {
        switch try fixtures.dtype(name) {
        case "f32": self = .f32(try fixtures.floats(name))
        case "bf16": self = .bf16(try fixtures.halves(name))
        case "f16": self = .f16(try fixtures.halves(name))
        case let other: throw FixtureError.missing("\(name) as float (dtype \(other))")
        }
    }

    func with<R>(_ body: (QuantInput) throws -> R) rethrows -> R {
        switch self {
        case .f32(let v): try v.withUnsafeBufferPointer { try body(.f32($0)) }
        case .bf16(let v): try v.withUnsafeBufferPointer { try body(.bf16($0)) }
        case .f16(let v): try v.withUnsafeBufferPointer { try body(.f16($0)) }
        }
    }
}

/// Bit patterns, so that -0 ≠ +0 and NaNs compare equal: the tests demand identical bits.
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Index of the first difference, for readable failures.
func firstMismatch<T: Equatable>(_ a: [T], _ b: [T]) -> String {
    guard a.count == b.count else { return "counts differ: \(a.count) vs \(b.count)" }
    guard let i = a.indices.first(where: { a[$0] != b[$0] }) else { return "equal" }
    let mismatches = a.indices.filter { a[$0] != b[$0] }.count
    return "\(mismatches) of \(a.count) differ; first at \(i): \(a[i]) vs \(b[i])"
}
