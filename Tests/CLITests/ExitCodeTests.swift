// The CLI's contract: exit codes (0 ok, 1 invalid recipe/input, 2 usage, 3 stage failed), every
// diagnostic printed at once (`validate --json`: an array of Diagnostic), and a clear message when
// this build has no implementation for a stage kind.
import Basics
import Foundation
import Testing

private let invalidYAML = """
    version: 1
    name: broken
    stages:
      base: {kind: load, path: model.gguf, dtyp: f32}
      lora: {kind: lora, from: base, r: 0}
    """

@Test func invalidRecipeExitsOneWithEveryDiagnostic() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("model.gguf", "weights")
    p.write("broken.yaml", invalidYAML)
    let apply = try p.run(["apply", "broken.yaml"])
    #expect(apply.status == 1)
    #expect(apply.stderr.contains("broken.yaml:4:"))  // the unknown key, with its location
    #expect(apply.stderr.contains("dtyp"))
    #expect(apply.stderr.contains("broken.yaml:5:"))  // and the bad rank, in the same run

    let validate = try p.run(["validate", "broken.yaml", "--json"])
    #expect(validate.status == 1)
    let diagnostics = try JSONDecoder().decode([Diagnostic].self, from: Data(validate.stdout.utf8))
    #expect(diagnostics.filter { $0.severity == .error }.count >= 2)
    #expect(diagnostics.contains { $0.keyPath == "stages.lora.r" })
}

@Test func validRecipeValidates() throws {
    let p = Project(); defer { p.cleanup() }
    writeFineTuneProject(p)
    let result = try p.run(["validate", "recipe.yaml"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("recipe.yaml: ok"))
    #expect(try p.run(["validate", "recipe.yaml", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
}

@Test func usageErrorsExitTwo() throws {
    let p = Project(); defer { p.cleanup() }
    #expect(try p.run(["apply"]).status == 2)
    #expect(try p.run(["plan", "x.yaml", "--no-such-flag"]).status == 2)
    #expect(try p.run(["cache", "gc", "--max-size", "lots"]).status == 2)
    #expect(try p.run(["--help"]).status == 0)
}

@Test func failingStageExitsThreeAndNamesTheStage() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("fail.yaml", """
        version: 1
        name: failing
        stages:
          a: {kind: concat, text: hi}
          boom: {kind: fail, from: a, message: disk on fire}
        """)
    let result = try p.run(["apply", "fail.yaml"])
    #expect(result.status == 3)
    #expect(result.stderr.contains("stage `boom` failed: disk on fire"))
    let record = try p.latestRun()
    #expect(record.status == .failed)
    #expect(try p.run(["runs", "show", "latest"]).stdout.contains("boom"))
}

@Test func shippedRunnerImplementsTheFineTuneStagesAndMerge() throws {
    // (A stage without an implementation is named by apply: PipelineTests' ExecutorTests cover that.)
    let p = Project(); defer { p.cleanup() }
    writeFineTuneProject(p)
    p.write("recipe.yaml", fineTuneYAML + "\n  merged: {kind: merge, adapter: train, base: quant}\n")
    let plan = try p.run(["plan", "recipe.yaml"], binary: "runner")
    #expect(plan.status == 0, "\(plan.stderr)")
    #expect(!plan.stdout.contains("[no implementation in this build]"), "\(plan.stdout)")
    #expect(plan.stdout.contains("merged"))
    // model.gguf is not a real GGUF: apply fails on its content in `load`, not for want of an implementation.
    let apply = try p.run(["apply", "recipe.yaml"], binary: "runner")
    #expect(apply.status == 3, "\(apply.stderr)")
    #expect(apply.stderr.contains("stage `base` failed"), "\(apply.stderr)")
    #expect(!apply.stderr.contains("has no implementation of kind"))
}

@Test func runsAndCacheCommandsReportHistory() throws {
    let p = Project(); defer { p.cleanup() }
    writeFineTuneProject(p)
    #expect(try p.run(["apply", "recipe.yaml"]).status == 0)
    #expect(try p.run(["apply", "recipe.yaml", "--set", "stages.lora.r=32"]).status == 0)

    let ls = try p.run(["runs", "ls"])
    #expect(ls.status == 0)
    #expect(ls.stdout.split(separator: "\n").count == 2)
    #expect(ls.stdout.contains("6 ran, 0 cached") && ls.stdout.contains("3 ran, 3 cached"))

    let diff = try p.run(["runs", "diff", "latest~1", "latest"])
    #expect(diff.status == 0)
    #expect(diff.stdout.contains("lora.r") && diff.stdout.contains("16") && diff.stdout.contains("32"))

    let cache = try p.run(["cache", "ls"])
    #expect(cache.stdout.contains("9 entries"))
    let gc = try p.run(["cache", "gc", "--keep-runs", "1"])
    #expect(gc.status == 0)
    #expect(gc.stdout.contains("removed 3 entries"))  // the r=16 lora, train and save
    #expect(try p.run(["plan", "recipe.yaml", "--set", "stages.lora.r=32"]).stdout.contains("0 to run, 6 cached"))
    #expect(try p.run(["cache", "verify"]).stdout.contains("checked 6 entries: all good"))
}

@Test func cacheLocationComesFromFlagThenEnvironment() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("spine.yaml", spineYAML(steps: 1, stepMs: 0))
    #expect(try p.run(["apply", "spine.yaml", "--cache", "elsewhere"]).status == 0)
    #expect(!FileManager.default.fileExists(atPath: p.url(".runner").path))
    #expect(try p.run(["cache", "ls", "--cache", "elsewhere"]).stdout.contains("2 entries"))

    let (process, out, err) = p.process(["cache", "ls"])
    process.environment?["RUNNER_CACHE"] = p.url("elsewhere").path
    try process.run()
    #expect(p.finish(process, out, err).stdout.contains("2 entries"))
    #expect(try p.run(["plan", "spine.yaml"]).stdout.contains("2 to run"))  // default .runner/ is empty
}

@Test func schemaCommandPrintsTheCommittedSchema() throws {
    let p = Project(); defer { p.cleanup() }
    let result = try p.run(["schema"], binary: "runner")
    #expect(result.status == 0)
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let committed = try String(contentsOf: packageRoot.appendingPathComponent("schemas/recipe.schema.json"), encoding: .utf8)
    #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == committed.trimmingCharacters(in: .whitespacesAndNewlines))
}
