// What `runner bench` records: every measurement (one subprocess each) and, per cell × side, the
// medians and spread over repeats — written as results.json, the source of results.md and the plot.
import Foundation

/// One cell trained once by one side.
public struct Measurement: Codable, Equatable, Sendable {
    public var cell: BenchCell
    public var side: String
    public var repeatIndex: Int                // 1-based
    /// The machine's 1-minute load average just before the process started.
    public var loadAverage: Double?
    /// Whether the side finished and printed a result; else `error` says why.
    public var ok: Bool
    public var tokensPerSecond: Double?
    public var stepSeconds: [Double]
    public var losses: [Double]
    public var finalLoss: Double?
    /// The process's peak resident set (wait4's ru_maxrss of that child), MiB.
    public var peakRSSMiB: Double
    public var wallSeconds: Double
    public var trainableParameters: Int?
    public var threads: Int?
    public var notes: [String: String]
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case cell, side, repeatIndex = "repeat", loadAverage = "load_average_1m", ok, tokensPerSecond = "tokens_per_second"
        case stepSeconds = "step_seconds", losses, finalLoss = "final_loss", peakRSSMiB = "peak_rss_mib", wallSeconds = "wall_seconds"
        case trainableParameters = "trainable_parameters", threads, notes, error
    }
}

/// One cell × side over its repeats.
public struct SummaryRow: Codable, Equatable, Sendable {
    public var cell: BenchCell
    public var side: String
    public var sideLabel: String
    /// The side's activation checkpointing in this cell: `off`, `layer` or `selective` (nil in results
    /// written before sides could differ: then the cell's `gradient_checkpointing` says it).
    public var checkpointing: String?
    public var runs: Int
    public var failures: Int
    public var tokensPerSecond: Spread?
    public var peakRSSMiB: Spread?
    public var finalLoss: Spread?
    public var loadAverage: Spread?
    /// This side's median tokens/s over the cell's reference side's (the first side with a command that ran it).
    public var speedVsReference: Double?
    public var referenceSide: String?

    enum CodingKeys: String, CodingKey {
        case cell, side, sideLabel = "side_label", checkpointing, runs, failures, tokensPerSecond = "tokens_per_second", peakRSSMiB = "peak_rss_mib"
        case finalLoss = "final_loss", loadAverage = "load_average_1m", speedVsReference = "speed_vs_reference", referenceSide = "reference_side"
    }
}

/// The suite's settings as run (after --repeats).
public struct RunSettings: Codable, Equatable, Sendable {
    public var model: String
    public var data: String
    public var steps: Int
    public var warmupSteps: Int
    public var repeats: Int
    public var learningRate: Double
    public var maxGradNorm: Double
    public var alphaPerRank: Double
    public var seed: UInt64
    public var only: String?

    enum CodingKeys: String, CodingKey {
        case model, data, steps, warmupSteps = "warmup_steps", repeats, learningRate = "learning_rate"
        case maxGradNorm = "max_grad_norm", alphaPerRank = "alpha_per_rank", seed, only
    }
}

/// results.json.
public struct BenchResults: Codable, Equatable, Sendable {
    public var suite: String
    public var suiteFile: String
    /// The command that reproduces this run.
    public var command: String
    public var started: String
    public var finished: String
    public var machine: MachineInfo
    public var settings: RunSettings
    public var sides: [String: String]        // name → label
    public var summary: [SummaryRow]
    public var measurements: [Measurement]

    enum CodingKeys: String, CodingKey {
        case suite, suiteFile = "suite_file", command, started, finished, machine, settings, sides, summary, measurements
    }

    /// Groups `measurements` by cell × side in suite order (cells, then sides).
    static func summarize(_ measurements: [Measurement], suite: BenchSuite) -> [SummaryRow] {
        var rows: [SummaryRow] = []
        for cell in suite.cells {
            var cellRows: [SummaryRow] = []
            for side in suite.sides {
                let runs = measurements.filter { $0.cell == cell && $0.side == side.name }
                guard !runs.isEmpty else { continue }
                let ok = runs.filter(\.ok)
                cellRows.append(SummaryRow(cell: cell, side: side.name, sideLabel: side.label,
                                           checkpointing: side.checkpointing(for: cell).rawValue, runs: ok.count, failures: runs.count - ok.count,
                                           tokensPerSecond: Spread(ok.compactMap(\.tokensPerSecond)), peakRSSMiB: Spread(ok.map(\.peakRSSMiB)),
                                           finalLoss: Spread(ok.compactMap(\.finalLoss)), loadAverage: Spread(runs.compactMap(\.loadAverage))))
            }
            let builtIn = Set(suite.sides.filter(\.isBuiltIn).map(\.name))
            if let reference = cellRows.first(where: { !builtIn.contains($0.side) && $0.tokensPerSecond != nil }) {
                for i in cellRows.indices {
                    guard let speed = cellRows[i].tokensPerSecond?.median, let base = reference.tokensPerSecond?.median, base > 0 else { continue }
                    cellRows[i].speedVsReference = speed / base
                    cellRows[i].referenceSide = reference.side
                }
            }
            rows += cellRows
        }
        return rows
    }

    func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: directory.appendingPathComponent("results.json"), options: .atomic)
        try Data(MarkdownTable.render(self).utf8).write(to: directory.appendingPathComponent("results.md"), options: .atomic)
        try Data(SpeedChart.svg(self).utf8).write(to: directory.appendingPathComponent("tokens_per_s.svg"), options: .atomic)
    }
}
