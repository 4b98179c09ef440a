// `runner bench SUITE.yaml`: runs a benchmark suite — a matrix of training cells × sides × repeats,
// each in its own process — and writes results.json, results.md and tokens_per_s.svg.
import ArgumentParser
import Basics
import Bench
import Foundation
import Models

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark suite (training speed, memory and loss across a matrix of settings and sides).",
        discussion: """
        Every cell × side × repeat trains in its own process; runner's side is this binary, other sides are \
        the suite's commands (bench/train/peft_cell.py; install with bench/setup.sh). See docs/PERFORMANCE.md.
        """)

    @Argument(help: "The suite file (YAML or JSON), e.g. bench/suites/smollm2-lora.yaml.")
    var suite: String

    @Option(name: .long, help: "Where results go (default: .build/bench/<suite name>).")
    var out: String?

    @Option(name: .long, help: "Repeats per cell and side (overrides the suite's `repeats`).")
    var repeats: Int?

    @Option(name: .long, help: "Only these cells/sides: key=value terms joined by commas (keys: \(BenchFilter.keys.joined(separator: ", "))).")
    var only: String?

    @Flag(name: .customLong("dry-run"), help: "Print the measurements and their commands; run nothing.")
    var dryRun = false

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be ≥ 1, got \(repeats)") }
    }

    func run() throws {
        let suite = try SuiteReader.read(URL(fileURLWithPath: self.suite), displayPath: self.suite)
        let filter = try only.map { try BenchFilter($0, suite: suite) }
        var command = "runner bench \(self.suite)"
        if let out { command += " --out \(out)" }
        if let repeats { command += " --repeats \(repeats)" }
        if let only { command += " --only \(only)" }
        let options = BenchOptions(outputDirectory: URL(fileURLWithPath: out ?? ".build/bench/\(suite.name)"), repeats: repeats, only: filter,
                                   onlyText: only, dryRun: dryRun,
                                   runnerExecutable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(), command: command)
        guard let results = try BenchRunner.run(suite, options: options, log: { Console.error($0) }) else { return }
        Console.out(try String(contentsOf: options.outputDirectory.appendingPathComponent("results.md"), encoding: .utf8))
        let failed = results.measurements.filter { !$0.ok }.count
        if failed > 0 {
            Console.error("error: \(failed) of \(results.measurements.count) measurements failed (logs in \(options.outputDirectory.path)/logs)")
            throw ExitStatus.stageFailed
        }
    }
}

/// The hidden `runner bench-cell --spec FILE`: trains one cell as runner's side of a suite and prints
/// one JSON line (`CellOutcome`). `runner bench` starts it once per measurement.
struct BenchCellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-cell", abstract: "Train one benchmark cell (used by `runner bench`).",
                                                    shouldDisplay: false)

    @Option(name: .long, help: "The cell spec JSON written by `runner bench`.")
    var spec: String

    @Option(name: .long, help: "Activation checkpointing: off, layer or selective (default: layer when the cell has it on, else off).")
    var checkpointing: String?

    func run() throws {
        let policy = try checkpointing.map { text in
            guard let policy = ActivationCheckpointing(rawValue: text) else {
                throw RunnerError("--checkpointing", "`\(text)` is not a checkpointing policy", hint: "use off, layer or selective")
            }
            return policy
        }
        let outcome = try RunnerCell.run(try CellSpec.read(URL(fileURLWithPath: spec)), checkpointing: policy)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        Console.out(String(decoding: try encoder.encode(outcome), as: UTF8.self))
    }
}
