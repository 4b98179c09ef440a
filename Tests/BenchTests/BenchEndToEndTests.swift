// `runner bench` end to end on the tiny random model (runner's side only, seconds): the committed
// bench/suites/tiny.yaml through the real binary — results.json, results.md and the SVG — and the
// command line's answers to a bad suite, a bad --only, a dry run and a failing side.
import Bench
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RunnerTestSupport
import Testing

@Suite(.serialized) struct BenchEndToEndTests {
    @Test func tinySuiteWritesTablePlotAndJSON() throws {
        let out = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try runRunner(["bench", "bench/suites/tiny.yaml", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")

        let results = try JSONDecoder().decode(BenchResults.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        #expect(results.suite == "tiny")
        #expect(results.command == "runner bench bench/suites/tiny.yaml --out \(out.path)")
        #expect(results.machine.cores > 0 && !results.machine.cpuModel.isEmpty)
        // lora r2, r4; qlora r2, r4; full — each twice by runner, and all but full by runner-selective.
        #expect(results.measurements.count == 5 * 2 + 4 * 2)
        #expect(results.summary.count == 5 + 4)
        for m in results.measurements {
            #expect(m.ok, "\(m.cell.label): \(m.error ?? "")")
            #expect(m.stepSeconds.count == 3 && m.losses.count == 4)
            #expect((m.tokensPerSecond ?? 0) > 0 && m.peakRSSMiB > 1 && m.loadAverage != nil)
            #expect(m.losses.allSatisfy { $0.isFinite && $0 > 0 })
        }
        func losses(_ label: String, _ repeatIndex: Int = 1, side: String = "runner") -> [Double] {
            results.measurements.first { $0.cell.label == label && $0.repeatIndex == repeatIndex && $0.side == side }?.losses ?? []
        }
        // Selective recomputation trains bit-identically to whole-layer checkpointing.
        for label in ["lora-r2-b2x16-gc-f32", "qlora-r4-b2x16-gc-f32"] {
            #expect(!losses(label).isEmpty && losses(label, side: "runner-selective") == losses(label), "\(label)")
        }
        #expect(results.measurements.filter { $0.side == "runner-selective" }.allSatisfy { $0.notes["checkpointing"] == "selective" })
        #expect(results.measurements.filter { $0.side == "runner" }.allSatisfy { $0.notes["checkpointing"] == "layer" })
        // Same data, same initial adapter: the repeats train identically.
        for label in ["lora-r2-b2x16-gc-f32", "qlora-r4-b2x16-gc-f32", "full-b2x16-gc-f32"] {
            for (a, b) in zip(losses(label, 1), losses(label, 2)) { #expect(abs(a - b) <= 1e-5 * abs(a)) }
        }
        // B = 0 at the start, so every dense method's first loss is the base model's on batch 0 —
        // and training moves it: LoRA and full fine-tuning go different ways afterwards.
        let base = losses("full-b2x16-gc-f32")[0]
        #expect(abs(losses("lora-r2-b2x16-gc-f32")[0] - base) <= 1e-5 * base)
        #expect(abs(losses("lora-r4-b2x16-gc-f32")[0] - base) <= 1e-5 * base)
        #expect(abs(losses("qlora-r2-b2x16-gc-f32")[0] - base) > 1e-6 * base)   // NF4 base differs
        #expect(losses("lora-r2-b2x16-gc-f32")[3] != losses("full-b2x16-gc-f32")[3])

        let row = try #require(results.summary.first { $0.cell.label == "lora-r4-b2x16-gc-f32" && $0.side == "runner" })
        let speeds = results.measurements.filter { $0.cell == row.cell && $0.side == "runner" }.compactMap(\.tokensPerSecond)
        #expect(row.runs == 2 && row.tokensPerSecond?.median == Statistics.median(speeds))
        #expect(row.tokensPerSecond?.min == speeds.min() && row.speedVsReference == nil)   // no reference side ran
        #expect(results.summary.allSatisfy { $0.speedVsReference == nil }, "a built-in side is never the reference")

        let markdown = try String(contentsOf: out.appendingPathComponent("results.md"), encoding: .utf8)
        #expect(markdown.contains("| method | r | batch × seq | ckpt | precision | side | tokens/s | range |"))
        #expect(markdown.contains("| lora | 4 | 2 × 16 | layer | f32 | runner | "))
        #expect(markdown.contains("| lora | 4 | 2 × 16 | selective | f32 | runner-selective | "))
        #expect(markdown.contains("| full | – | 2 × 16 | layer | f32 | runner | "))
        #expect(markdown.contains("- Command: `runner bench bench/suites/tiny.yaml --out \(out.path)`"))
        #expect(markdown.contains("1-minute load average"))
        #expect(run.stdout == markdown + "\n")

        let svg = try String(contentsOf: out.appendingPathComponent("tokens_per_s.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(!svg.contains("<script") && !svg.contains("href"))
        #expect(svg.components(separatedBy: "<title>runner: ").count - 1 == 5)   // one bar per cell × side
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "the SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
    }

    @Test func badSuitesAndOptionsAreNamedOnTheCommandLine() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TinyModelFixture.directory.path
        let bad = try write("model: \(model)\nsides: {runner: {}}\nrepeat: 2\n", "bad.yaml", in: dir)
        let unknownKey = try runRunner(["bench", bad])
        #expect(unknownKey.status == 1)
        #expect(unknownKey.stderr.contains("bad.yaml:3:1: error: repeat: unknown key `repeat` (did you mean `repeats`?)"), "\(unknownKey.stderr)")

        let noModel = try write("model: /no/such/model.gguf\nsides: {runner: {}}\n", "nomodel.yaml", in: dir)
        let missing = try runRunner(["bench", noModel])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nomodel.yaml:1:8: error: model: no such model `/no/such/model.gguf`"), "\(missing.stderr)")

        let good = try write("model: \(model)\nmatrix: {method: [lora, full], r: 2, seq_len: 8, batch: 1}\nsides: {runner: {}}\n", "good.yaml", in: dir)
        let unknownSide = try runRunner(["bench", good, "--only", "side=peft"])
        #expect(unknownSide.status == 1)
        #expect(unknownSide.stderr.contains("error: --only: unknown side `peft` (the suite's sides: runner)"), "\(unknownSide.stderr)")

        let dry = try runRunner(["bench", good, "--dry-run", "--repeats", "2", "--out", dir.appendingPathComponent("dry").path])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stderr.contains("4 measurements (cell, side, repeat):"))
        #expect(dry.stderr.contains("lora-r2-b1x8-gc-f32  runner  #2  $ \(runnerBinary.path) bench-cell --spec"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("dry").path))
    }

    @Test func aFailingSideIsRecordedAndTheRestStillRun() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let suite = try write("""
            name: failing
            model: \(TinyModelFixture.directory.path)
            matrix: {method: lora, r: 2, seq_len: 8, batch: 1}
            steps: 1
            repeats: 1
            sides:
              runner: {}
              broken: {label: broken side, command: [sh, -c, "echo cannot import torch >&2; exit 4"]}
            """, "failing.yaml", in: dir)
        let out = dir.appendingPathComponent("out")
        let run = try runRunner(["bench", suite, "--out", out.path])
        #expect(run.status == 3)
        #expect(run.stderr.contains("broken #1: FAILED — exited with 4: cannot import torch"), "\(run.stderr)")
        #expect(run.stderr.contains("error: 1 of 2 measurements failed"))
        let results = try JSONDecoder().decode(BenchResults.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        #expect(results.measurements.map(\.ok) == [true, false])
        #expect(results.summary.map(\.failures) == [0, 1])
        let markdown = try String(contentsOf: out.appendingPathComponent("results.md"), encoding: .utf8)
        #expect(markdown.contains("| broken side | failed | – |"))
        #expect(markdown.contains("- lora-r2-b1x8-gc-f32 broken repeat 1: exited with 4: cannot import torch"))
    }
}
