// Test-only stage implementations for the built-in kinds: each writes a small, deterministic
// `artifact.json` describing its kind, params, inputs and input files, so tests can run a real
// recipe through the pipeline without any compute. Not shipped.
import Basics
import Foundation
import Pipeline
import Recipe
#if canImport(Glibc)
import Glibc
#endif

/// Appends one line per stage execution to a trace file (O_APPEND, so concurrent processes
/// interleave whole lines): tests count how often a stage really ran.
public struct ExecutionTrace: Sendable {
    public let url: URL?

    public init(_ url: URL?) { self.url = url }

    public func record(_ context: StageContext) {
        guard let url else { return }
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        let line = "\(context.stage.name) \(context.stage.kind)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Stage names in the order they ran.
    public func entries() -> [String] {
        guard let url, let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    }
}

/// Shared behaviour of the echo stages.
public protocol EchoStage: StageImplementation {
    var trace: ExecutionTrace { get }
    init(trace: ExecutionTrace)
}

extension EchoStage {
    public static var version: Int { 1 }

    public func run(_ context: StageContext) throws -> StageResult {
        trace.record(context)
        context.progress.start(total: 1, unit: "artifacts")
        var inputs: [String: ParamValue] = [:]
        for (role, input) in context.inputs {
            inputs[role] = .string(try Digest.sha256Hex(fileAt: input.file("artifact.json")))
        }
        var files: [String: ParamValue] = [:]
        for (keyPath, url) in context.stage.inputFiles {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            files[keyPath] = .string(isDirectory.boolValue ? "directory" : try Digest.sha256Hex(fileAt: url))
        }
        let description = ParamValue.map([
            "kind": .string(Self.kind), "params": .map(context.stage.params), "inputs": .map(inputs), "files": .map(files),
        ])
        try Data(description.canonicalJSON.utf8).write(to: context.outputDirectory.appendingPathComponent("artifact.json"))
        context.progress.advance()
        return StageResult(metrics: ["bytes": Double(description.canonicalJSON.utf8.count)], primaryFile: "artifact.json")
    }
}

public struct EchoLoad: EchoStage { public static let kind = "load"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoQuantize: EchoStage { public static let kind = "quantize"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoPrepareKbit: EchoStage { public static let kind = "prepare_kbit"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoLora: EchoStage { public static let kind = "lora"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoDataset: EchoStage { public static let kind = "dataset"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoTrain: EchoStage { public static let kind = "train"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoSave: EchoStage { public static let kind = "save"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoMerge: EchoStage { public static let kind = "merge"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoExport: EchoStage { public static let kind = "export"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoPush: EchoStage { public static let kind = "push"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoEval: EchoStage { public static let kind = "eval"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
public struct EchoGenerate: EchoStage { public static let kind = "generate"; public let trace: ExecutionTrace; public init(trace: ExecutionTrace) { self.trace = trace } }
