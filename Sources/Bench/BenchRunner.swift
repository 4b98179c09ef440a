// `runner bench`: plans cell × side × repeat measurements (repeats outermost, so load drifts hit
// every side alike), prepares each cell's token batches and initial adapter once, runs every
// measurement in its own process, and rewrites results.json / results.md / the SVG after each.
import Basics
import Foundation

/// How to run a suite.
public struct BenchOptions: Sendable {
    public var outputDirectory: URL
    /// Overrides the suite's `repeats`.
    public var repeats: Int?
    public var only: BenchFilter?
    /// The `--only` text, recorded in results.json.
    public var onlyText: String?
    /// Plan and print the measurements, run nothing.
    public var dryRun: Bool
    /// The `runner` binary whose hidden `bench-cell` command trains the runner side.
    public var runnerExecutable: URL
    /// The command line that reproduces this run (recorded with the results).
    public var command: String

    public init(outputDirectory: URL, repeats: Int? = nil, only: BenchFilter? = nil, onlyText: String? = nil, dryRun: Bool = false,
                runnerExecutable: URL, command: String) {
        self.outputDirectory = outputDirectory
        self.repeats = repeats
        self.only = only
        self.onlyText = onlyText
        self.dryRun = dryRun
        self.runnerExecutable = runnerExecutable
        self.command = command
    }
}

/// One planned measurement.
public struct PlannedMeasurement: Equatable, Sendable {
    public var cell: BenchCell
    public var side: BenchSide
    public var repeatIndex: Int
}

public enum BenchRunner {
    /// Every measurement `options` selects from `suite`, in run order.
    public static func plan(_ suite: BenchSuite, options: BenchOptions) -> [PlannedMeasurement] {
        let repeats = options.repeats ?? suite.repeats
        return (1...max(repeats, 1)).flatMap { index in
            suite.cells.flatMap { cell in
                suite.sides.filter { suite.runs($0, cell) && (options.only?.matches(cell, side: $0.name) ?? true) }
                    .map { PlannedMeasurement(cell: cell, side: $0, repeatIndex: index) }
            }
        }
    }

    /// Runs the suite (or, with `dryRun`, prints the plan and returns nil).
    /// - Throws: `RunnerError` when nothing is selected, preparation fails, or a side's `prepare` fails.
    ///   A failing measurement does not throw: it is recorded (`Measurement.ok == false`) and the rest run.
    @discardableResult
    public static func run(_ suite: BenchSuite, options: BenchOptions, log: (String) -> Void) throws -> BenchResults? {
        let planned = plan(suite, options: options)
        guard !planned.isEmpty else {
            throw RunnerError(suite.file, "no measurement selected", hint: "check --only against the suite's matrix and each side's `methods`")
        }
        let out = options.outputDirectory.standardizedFileURL
        let layout = OutputLayout(root: out)
        let model = URL(fileURLWithPath: suite.model).standardizedFileURL.path
        if options.dryRun {
            log("\(planned.count) measurements (cell, side, repeat):")
            for m in planned { log("  \(m.cell.label)  \(m.side.name)  #\(m.repeatIndex)  $ \(command(m, layout: layout, model: model, options: options).joined(separator: " "))") }
            return nil
        }
        try layout.create()
        let started = timestamp()
        let machine = MachineInfo.current()
        log("suite \(suite.name): \(planned.count) measurements on \(machine.cpuModel) (\(machine.cores) cores) → \(out.path)")

        for side in suite.sides where planned.contains(where: { $0.side == side }) {
            guard let prepare = side.prepare else { continue }
            let words = prepare.map { substitute($0, spec: "", model: model, out: out.path) }
            log("preparing \(side.name): \(words.joined(separator: " "))")
            let result = try ChildProcess.run(words, logPrefix: layout.logs.appendingPathComponent("prepare-\(side.name)"), timeoutSeconds: suite.timeoutSeconds)
            guard result.status == 0 else {
                throw RunnerError("side `\(side.name)`", "prepare command exited with \(result.status): \(tail(result.stderr))")
            }
        }
        var specs: [BenchCell: URL] = [:]
        for cell in Set(planned.map(\.cell)).sorted(by: { $0.label < $1.label }) {
            specs[cell] = try CellPreparation.prepare(cell, suite: suite, model: model, layout: layout, log: log)
        }

        var measurements: [Measurement] = []
        for (index, m) in planned.enumerated() {
            let load = MachineInfo.loadAverage()
            let words = command(m, layout: layout, model: model, options: options)
            let result = try ChildProcess.run(words, logPrefix: layout.logs.appendingPathComponent("\(m.cell.label).\(m.side.name).\(m.repeatIndex)"),
                                              timeoutSeconds: suite.timeoutSeconds)
            let measurement = record(m, result: result, load: load)
            measurements.append(measurement)
            let what = "[\(index + 1)/\(planned.count)] \(m.cell.label) \(m.side.name) #\(m.repeatIndex)"
            if measurement.ok {
                log(what + String(format: ": %.1f tokens/s, final loss %.4f, peak RSS %.0f MiB (load %.1f)", measurement.tokensPerSecond ?? .nan,
                                  measurement.finalLoss ?? .nan, measurement.peakRSSMiB, load ?? .nan))
            } else {
                log("\(what): FAILED — \(measurement.error ?? "")")
            }
            let results = BenchResults(suite: suite.name, suiteFile: suite.file, command: options.command, started: started, finished: timestamp(),
                                       machine: machine, settings: settings(suite, options: options), sides: Dictionary(uniqueKeysWithValues: suite.sides.map { ($0.name, $0.label) }),
                                       summary: BenchResults.summarize(measurements, suite: suite), measurements: measurements)
            try results.write(to: out)
            if index == planned.count - 1 { return results }
        }
        return nil
    }

    /// The process a measurement runs: `runner bench-cell --spec …`, or the side's command with placeholders filled.
    static func command(_ m: PlannedMeasurement, layout: OutputLayout, model: String, options: BenchOptions) -> [String] {
        let spec = layout.spec(m.cell).path
        guard let words = m.side.command else {
            return [options.runnerExecutable.path, "bench-cell", "--spec", spec, "--checkpointing", m.side.checkpointing(for: m.cell).rawValue]
        }
        return words.map { substitute($0, spec: spec, model: model, out: layout.root.path) }
    }

    /// `{spec}`, `{model}` and `{out}` replaced.
    static func substitute(_ word: String, spec: String, model: String, out: String) -> String {
        word.replacingOccurrences(of: "{spec}", with: spec).replacingOccurrences(of: "{model}", with: model)
            .replacingOccurrences(of: "{out}", with: out)
    }

    static func record(_ m: PlannedMeasurement, result: ChildProcess.Result, load: Double?) -> Measurement {
        let outcome = result.status == 0 ? CellOutcome.parse(stdout: result.stdout) : nil
        var error: String?
        if result.timedOut {
            error = String(format: "killed after %.0f s (timeout_seconds)", result.wallSeconds)
        } else if result.status != 0 {
            error = "exited with \(result.status): \(tail(result.stderr))"
        } else if outcome == nil {
            error = "printed no result line (a JSON object with step_seconds and losses)"
        }
        let tokens = m.cell.batchSize * m.cell.sequenceLength
        return Measurement(cell: m.cell, side: m.side.name, repeatIndex: m.repeatIndex, loadAverage: load, ok: outcome != nil,
                           tokensPerSecond: outcome?.tokensPerSecond(tokensPerStep: tokens), stepSeconds: outcome?.stepSeconds ?? [],
                           losses: outcome?.losses ?? [], finalLoss: outcome?.finalLoss, peakRSSMiB: Double(result.peakRSSBytes) / 1_048_576,
                           wallSeconds: result.wallSeconds, trainableParameters: outcome?.trainableParameters, threads: outcome?.threads,
                           notes: outcome?.notes ?? [:], error: error)
    }

    static func settings(_ suite: BenchSuite, options: BenchOptions) -> RunSettings {
        let data: String
        switch suite.data {
        case .synthetic(let seed): data = "synthetic tokens (seed \(seed))"
        case .text(let path): data = "text of `\(path)`"
        }
        return RunSettings(model: suite.model, data: data, steps: suite.steps, warmupSteps: suite.warmupSteps,
                           repeats: options.repeats ?? suite.repeats, learningRate: suite.learningRate, maxGradNorm: suite.maxGradNorm,
                           alphaPerRank: suite.alphaPerRank, seed: suite.seed, only: options.onlyText)
    }

    /// The last few lines of a side's stderr, for a one-line failure message.
    static func tail(_ text: String) -> String {
        let lines = text.split(separator: "\n").suffix(3).joined(separator: " | ")
        return lines.count > 400 ? "…" + lines.suffix(400) : (lines.isEmpty ? "no output on stderr" : lines)
    }

    static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }
}
