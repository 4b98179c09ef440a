// CLITests support: runs the built `runner-testkit` (runner with test-only stage implementations)
// and `runner` binaries as subprocesses in scratch directories.
import Foundation
import Pipeline
import RunnerTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The directory holding the test bundle, which is where SwiftPM puts the executables too.
let productsDirectory: URL = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // On Linux the test runner is `<products>/runnerPackageTests.xctest`; on macOS a bundle inside it.
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("runner-testkit").path), dir.path != "/" {
        dir = dir.deletingLastPathComponent()
    }
    return dir
}()

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A scratch project directory with helpers to write files and run the CLI in it.
struct Project: ScratchDirectory {
    let root: URL

    init(_ name: String = #function) { root = Self.makeRoot(prefix: "runner-cli", name: name) }

    var store: ArtifactStore { ArtifactStore(root: url(".runner")) }
    var traceURL: URL { url("trace.txt") }

    /// Stage names in the order they really ran, across all processes.
    var trace: [String] {
        (read("trace.txt") ?? "").split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    }

    func process(_ arguments: [String], binary: String = "runner-testkit") -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent(binary)
        process.arguments = arguments
        process.currentDirectoryURL = root
        var environment = ProcessInfo.processInfo.environment
        environment["RUNNER_TESTKIT_TRACE"] = traceURL.path
        environment.removeValue(forKey: "RUNNER_CACHE")
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        return (process, out, err)
    }

    /// Runs to completion (bounded by `timeout` seconds, then killed).
    func run(_ arguments: [String], binary: String = "runner-testkit", timeout: Double = 30) throws -> CLIResult {
        let (process, out, err) = self.process(arguments, binary: binary)
        try process.run()
        return finish(process, out, err, timeout: timeout)
    }

    func finish(_ process: Process, _ out: Pipe, _ err: Pipe, timeout: Double = 30) -> CLIResult {
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var stdoutData = Data(), stderrData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { stdoutData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { stderrData = err.fileHandleForReading.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        group.wait()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                         stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Polls until `condition` holds (or `timeout` passes); returns whether it held.
    func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// The newest run record.
    func latestRun() throws -> RunRecord { try RunStore(directory: store.runs).resolve("latest") }
}

/// The fine-tuning recipe of the issue, with the built-in kinds.
let fineTuneYAML = """
    version: 1
    name: finetune
    seed: 42
    stages:
      base: {kind: load, path: model.gguf}
      quant: {kind: quantize, from: base}
      lora: {kind: lora, from: quant, r: 16}
      data: {kind: dataset, path: data/faq.json, tokenizer: base}
      train: {kind: train, model: lora, data: data}
      save: {kind: save, from: train, path: out/adapter}
    """

func writeFineTuneProject(_ p: Project) {
    p.write("recipe.yaml", fineTuneYAML)
    p.write("model.gguf", String(repeating: "GGUF weights ", count: 5000))
    p.write("data/faq.json", #"[{"instruction": "what is runner?", "output": "a fine-tuning tool"}]"#)
}

/// Test kinds: `a` (concat) → `b` (slow, materialized at out/b.txt).
func spineYAML(steps: Int, stepMs: Int) -> String {
    """
    version: 1
    name: spine
    stages:
      a: {kind: concat, text: "hello "}
      b: {kind: slow, from: a, steps: \(steps), step_ms: \(stepMs), text: line, out: out/b.txt}
    """
}

func expectedSlowOutput(steps: Int) -> String { (0 ..< steps).map { "line \($0)\n" }.joined() }
