// Suite files: the matrix expands to every combination, `--only` selects from it, and every mistake
// is reported at once with file:line:col and a fix.
import Basics
import Bench
import Foundation
import RunnerTestSupport
import Testing

@Suite struct SuiteReaderTests {
    let tiny = TinyModelFixture.directory.path

    func read(_ text: String) throws -> BenchSuite {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        return try SuiteReader.read(URL(fileURLWithPath: try write(text, "suite.yaml", in: dir)), displayPath: "suite.yaml")
    }

    /// The diagnostics `text` produces, one line each.
    func problems(_ text: String) throws -> [String] {
        do {
            _ = try read(text)
            Issue.record("expected the suite to be rejected")
            return []
        } catch let error as DiagnosticError {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func matrixExpandsEveryCombinationAndOnlySelects() throws {
        let suite = try read("""
            name: m
            model: \(tiny)
            matrix: {method: [lora, qlora, full], r: [8, 32], seq_len: [128, 256], batch: 2}
            repeats: 3
            sides:
              runner: {}
              peft: {command: "python x.py --spec {spec}", methods: [lora]}
            """)
        #expect(suite.cells.count == 2 * 2 * 2 + 2)   // full fine-tuning has no rank axis
        #expect(suite.cells.first == BenchCell(method: .lora, rank: 8, sequenceLength: 128, batchSize: 2, gradientCheckpointing: true, precision: .f32))
        #expect(suite.cells.first?.label == "lora-r8-b2x128-gc-f32")
        #expect(suite.sides.map(\.name) == ["runner", "peft"])
        #expect(suite.sides[1].command == ["python", "x.py", "--spec", "{spec}"])
        #expect(suite.sides[0].isBuiltIn && !suite.sides[1].isBuiltIn)

        let options = BenchOptions(outputDirectory: URL(fileURLWithPath: "/tmp/unused"), runnerExecutable: runnerBinary, command: "runner bench")
        let all = BenchRunner.plan(suite, options: options)
        #expect(all.count == (10 + 4) * 3)             // runner: every cell; peft: the 4 LoRA cells
        #expect(all.prefix(14).allSatisfy { $0.repeatIndex == 1 })   // repeats outermost

        var only = options
        only.only = try BenchFilter("side=peft,r=8", suite: suite)
        let selected = BenchRunner.plan(suite, options: only)
        #expect(selected.count == 2 * 3)
        #expect(selected.allSatisfy { $0.side.name == "peft" && $0.cell.rank == 8 && $0.cell.method == .lora })
        only.repeats = 1
        only.only = try BenchFilter("method=qlora,method=full", suite: suite)
        #expect(BenchRunner.plan(suite, options: only).map(\.cell.method) == [.qlora, .qlora, .qlora, .qlora, .full, .full])   // full: one cell per seq_len
    }

    @Test func onlyRejectsUnknownKeysAndSides() throws {
        let suite = try read("model: \(tiny)\nsides: {runner: {}}\n")
        #expect(throws: RunnerError("--only", "unknown side `runer`", hint: "did you mean `runner`?")) {
            try BenchFilter("side=runer", suite: suite)
        }
        #expect(throws: RunnerError("--only", "unknown key `rank`", hint: "keys: side, method, r, seq_len, batch, gradient_checkpointing, precision")) {
            try BenchFilter("rank=8", suite: suite)
        }
        #expect(throws: RunnerError.self) { try BenchFilter("side", suite: suite) }
    }

    @Test func everyMistakeIsReportedWithItsLocation() throws {
        let found = try problems("""
            name: bad
            model: \(tiny)
            stepz: 3
            matrix:
              method: [lora, qlroa]
              r: 0
            sides:
              runner: {command: "echo"}
              pft: {methods: [lora]}
            """)
        #expect(found.contains("suite.yaml:3:1: error: stepz: unknown key `stepz` (did you mean `steps`?)"))
        #expect(found.contains("suite.yaml:5:18: error: matrix.method[1]: expected one of lora, qlora, full, got `qlroa` (did you mean `qlora`?)"))
        #expect(found.contains("suite.yaml:6:6: error: matrix.r: must be ≥ 1, got 0"))
        #expect(found.contains("suite.yaml:8:12: error: sides.runner.command: `runner` is a built-in side; it takes no `command` (give your own command another side name)"))
        #expect(found.contains { $0.hasPrefix("suite.yaml:9:3: error: sides.pft: unknown side `pft`: only `runner` is built in, other sides need a `command`") })
        #expect(found.count == 5)
    }

    @Test func aBuiltInSideMayRecomputeSelectively() throws {
        let suite = try read("""
            model: \(tiny)
            matrix: {gradient_checkpointing: [true, false]}
            sides:
              runner: {}
              fast: {builtin: true, gradient_checkpointing: selective}
              peft: {command: "python x.py --spec {spec}", gradient_checkpointing: true}
            """)
        #expect(suite.sides.map(\.isBuiltIn) == [true, true, false])
        #expect(suite.sides.map(\.checkpointing) == [.layer, .selective, .layer])
        let (on, off) = (suite.cells[0], suite.cells[1])
        #expect(on.gradientCheckpointing && !off.gradientCheckpointing)
        #expect(suite.sides.map { $0.checkpointing(for: on) } == [.layer, .selective, .layer])
        #expect(suite.sides.map { $0.checkpointing(for: off) } == [.off, .off, .off])
        #expect(suite.sides.map { suite.runs($0, off) } == [true, false, true], "without checkpointing every runner side is the same")

        let found = try problems("""
            model: \(tiny)
            sides:
              runner: {gradient_checkpointing: selectiv}
              peft: {command: "python x.py", gradient_checkpointing: selective}
              other: {builtin: true, command: "python y.py"}
            """)
        #expect(found.contains("suite.yaml:3:36: error: sides.runner.gradient_checkpointing: expected `true` or `selective`, got `selectiv` (did you mean `selective`?)"))
        #expect(found.contains("suite.yaml:4:34: error: sides.peft.gradient_checkpointing: only runner sides recompute selectively; `peft` runs a command (add `builtin: true` for another runner side, or leave this key out: whole-layer checkpointing)"))
        #expect(found.contains("suite.yaml:5:26: error: sides.other.command: `other` is a built-in side; it takes no `command` (give your own command another side name, without `builtin: true`)"))
        #expect(found.count == 3, "\(found)")
    }

    @Test func aMissingOrAbsentModelIsNamed() throws {
        let missingKey = try problems("name: x\nsides: {runner: {}}\n")
        #expect(missingKey.count == 1)
        #expect(missingKey[0].hasPrefix("suite.yaml:1:1: error: model: missing required key `model`"))

        let absent = try problems("model: models/NoSuchModel.gguf\nsides: {runner: {}}\n")
        #expect(absent == ["suite.yaml:1:8: error: model: no such model `models/NoSuchModel.gguf` (run scripts/bootstrap.sh to fetch the model)"])
    }

    @Test func committedSuitesAreValid() throws {
        let root = TinyModelFixture.packageRoot
        for name in ["smollm2-lora", "smollm2-quick", "lora-qlora-matrix"] {
            // Checked from the package root, where their relative paths point; the model itself may be absent here.
            let url = root.appendingPathComponent("bench/suites/\(name).yaml")
            do {
                let suite = try SuiteReader.read(url, displayPath: name)
                #expect(suite.name == name)
                #expect(suite.sides.contains { $0.name == "runner" })
            } catch let error as DiagnosticError {
                // Only a missing model or data file (relative to the working directory) is acceptable here.
                #expect(error.diagnostics.allSatisfy { $0.message.hasPrefix("no such") }, "\(error)")
            }
        }
    }
}
