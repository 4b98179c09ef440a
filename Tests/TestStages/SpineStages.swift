// Test-only stage kinds that exercise the pipeline's spine: concatenation, a slow stage that
// honours cancellation, a failing stage, and a stage writing many files. Not shipped.
import Basics
import Foundation
import Pipeline
import Recipe

/// `concat`: its output file `out.txt` is param `text` appended to every input's `out.txt`
/// (inputs in role order). Params: `text` (string).
public struct ConcatStage: StageImplementation {
    public static let kind = "concat"
    public static let version = 1
    public let trace: ExecutionTrace

    public init(trace: ExecutionTrace = ExecutionTrace(nil)) { self.trace = trace }

    public func run(_ context: StageContext) throws -> StageResult {
        trace.record(context)
        var text = ""
        for role in context.inputs.keys.sorted() {
            text += try String(contentsOf: context.inputs[role]!.file("out.txt"), encoding: .utf8)
        }
        if let extra = context.param("text"), case .string(let s) = extra { text += s }
        if let url = context.stage.inputFiles["file"] { text += try String(contentsOf: url, encoding: .utf8) }
        try Data(text.utf8).write(to: context.outputDirectory.appendingPathComponent("out.txt"))
        return StageResult(metrics: ["chars": Double(text.count)], primaryFile: "out.txt")
    }
}

/// `slow`: writes `out.txt` one line per step, sleeping `step_ms` between steps, reporting progress
/// and checking cancellation each step. Params: `steps` (int), `step_ms` (int), `text` (string).
public struct SlowStage: StageImplementation {
    public static let kind = "slow"
    public static let version = 1
    public let trace: ExecutionTrace

    public init(trace: ExecutionTrace = ExecutionTrace(nil)) { self.trace = trace }

    public func run(_ context: StageContext) throws -> StageResult {
        trace.record(context)
        let steps = try context.int("steps"), stepMs = try context.int("step_ms"), text = try context.string("text")
        let url = context.outputDirectory.appendingPathComponent("out.txt")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        context.progress.start(total: steps, unit: "steps")
        for step in 0 ..< steps {
            try context.checkCancellation()
            try handle.write(contentsOf: Data("\(text) \(step)\n".utf8))
            try handle.synchronize()
            Thread.sleep(forTimeInterval: Double(stepMs) / 1000)
            context.progress.advance()
        }
        return StageResult(metrics: ["steps": Double(steps)], primaryFile: "out.txt")
    }
}

/// `fail`: writes a partial file, then throws with `message`. Params: `message` (string).
public struct FailStage: StageImplementation {
    public static let kind = "fail"
    public static let version = 1

    public init() {}

    public func run(_ context: StageContext) throws -> StageResult {
        try Data("partial".utf8).write(to: context.outputDirectory.appendingPathComponent("partial.txt"))
        let message = try context.string("message")
        throw PlannedFailure(description: message)
    }
}

/// The error `FailStage` throws: just its message.
public struct PlannedFailure: Error, CustomStringConvertible {
    public var description: String
}

/// `many_files`: writes `count` files under nested directories (`d<i % 7>/f<i>.txt`). Params: `count` (int).
public struct ManyFilesStage: StageImplementation {
    public static let kind = "many_files"
    public static let version = 1

    public init() {}

    public func run(_ context: StageContext) throws -> StageResult {
        let count = try context.int("count")
        context.progress.start(total: count, unit: "files")
        for i in 0 ..< count {
            let dir = context.outputDirectory.appendingPathComponent("d\(i % 7)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data("file \(i) of \(count)\n".utf8).write(to: dir.appendingPathComponent("f\(i).txt"))
            context.progress.advance()
        }
        return StageResult(metrics: ["files": Double(count)])
    }
}

/// Every test implementation, for a registry. `trace` records executions of the tracing ones.
public enum TestStages {
    public static func registry(trace: ExecutionTrace = ExecutionTrace(nil)) -> StageRegistry {
        StageRegistry([
            EchoLoad(trace: trace), EchoQuantize(trace: trace), EchoPrepareKbit(trace: trace), EchoLora(trace: trace),
            EchoDataset(trace: trace), EchoTrain(trace: trace), EchoSave(trace: trace), EchoMerge(trace: trace),
            EchoExport(trace: trace), EchoPush(trace: trace), EchoEval(trace: trace), EchoGenerate(trace: trace),
            ConcatStage(trace: trace), SlowStage(trace: trace), FailStage(), ManyFilesStage(),
        ])
    }
}
