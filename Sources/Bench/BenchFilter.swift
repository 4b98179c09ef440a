// `--only`: which cells and sides of a suite to run, as `key=value` terms separated by commas
// (`side=runner,method=qlora,r=8`). A key given twice matches either value.
import Basics

public struct BenchFilter: Sendable {
    public static let keys = ["side", "method", "r", "seq_len", "batch", "gradient_checkpointing", "precision"]
    let terms: [String: Set<String>]

    /// Parses `text` against `suite` (side names must exist in it).
    /// - Throws: `RunnerError` naming the bad term and what is allowed.
    public init(_ text: String, suite: BenchSuite) throws {
        var terms: [String: Set<String>] = [:]
        for term in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !term.isEmpty {
            let parts = term.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw RunnerError("--only", "`\(term)` is not key=value", hint: "e.g. --only side=runner,method=lora; keys: \(Self.keys.joined(separator: ", "))")
            }
            guard Self.keys.contains(parts[0]) else {
                throw RunnerError("--only", "unknown key `\(parts[0])`",
                                  hint: NearestName.hint(parts[0], in: Self.keys) ?? "keys: \(Self.keys.joined(separator: ", "))")
            }
            if parts[0] == "side", !suite.sides.contains(where: { $0.name == parts[1] }) {
                let names = suite.sides.map(\.name)
                throw RunnerError("--only", "unknown side `\(parts[1])`",
                                  hint: NearestName.hint(parts[1], in: names) ?? "the suite's sides: \(names.joined(separator: ", "))")
            }
            terms[parts[0], default: []].insert(parts[1])
        }
        self.terms = terms
    }

    /// Whether `side` training `cell` is selected.
    public func matches(_ cell: BenchCell, side: String) -> Bool {
        let values: [String: String] = ["side": side, "method": cell.method.rawValue, "r": "\(cell.rank)", "seq_len": "\(cell.sequenceLength)",
                                        "batch": "\(cell.batchSize)", "gradient_checkpointing": "\(cell.gradientCheckpointing)",
                                        "precision": cell.precision.rawValue]
        return terms.allSatisfy { key, allowed in allowed.contains(values[key]!) }
    }
}
