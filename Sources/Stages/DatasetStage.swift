// The `dataset` stage: reads the training (and evaluation) file, formats prompts, tokenizes with the
// `tokenizer` input's tokenizer and chat template, masks the loss, packs, and writes `train.bin`,
// `eval.bin` and `stats.json` (format: Sources/Data/DatasetArtifactFormat.swift).
import Basics
import Data
import Foundation
import Models
import Pipeline
import Recipe

public struct DatasetStage: StageImplementation {
    public static let kind = "dataset"
    public static let version = 1

    public init() {}

    public func run(_ context: StageContext) throws -> StageResult {
        let options = try Self.options(context.stage, seed: context.seed)
        let bundle = try ModelBundle.open(context.input("tokenizer").directory)
        let builder = try DatasetBuilder(options: options, tokenizer: bundle.tokenizer, chatTemplate: bundle.chatTemplate)
        let (train, eval) = try Self.sources(context.stage)
        context.progress.start(total: nil, unit: "examples")
        let reported = Counter()
        let prepared = try builder.build(train: train, eval: eval, progress: { done, total in
            if reported.value == 0 { context.progress.start(total: total, unit: "examples") }
            context.progress.advance(done - reported.value)
            reported.value = done
        }, checkCancellation: context.checkCancellation)
        try DatasetOutput.write(prepared, maxSequenceLength: options.maxSequenceLength, vocabularySize: bundle.tokenizer.vocabularySize,
                                packed: options.packing, to: context.outputDirectory)
        for line in Self.summary(prepared) { context.log(line) }
        return StageResult(metrics: prepared.stats.metrics)
    }

    /// The training file and the optional evaluation file, shown as the recipe wrote them.
    public static func sources(_ stage: StageInstance) throws -> (train: DatasetSource, eval: DatasetSource?) {
        guard let trainURL = stage.inputFiles["path"] else {
            throw RunnerError("stage `\(stage.name)` (dataset)", "has no input file `path`")
        }
        let display = { (key: String, url: URL) -> String in
            if case .string(let written)? = stage.params[key] { return written }
            return url.path
        }
        let eval = stage.inputFiles["eval_path"].map { DatasetSource(url: $0, displayPath: display("eval_path", $0)) }
        return (DatasetSource(url: trainURL, displayPath: display("path", trainURL)), eval)
    }

    /// The stage's params as `DatasetOptions` (the compiler has checked types and filled defaults).
    public static func options(_ stage: StageInstance, seed recipeSeed: Int64) throws -> DatasetOptions {
        let params = stage.params
        func mismatch(_ key: String) -> RunnerError {
            RunnerError("stage `\(stage.name)` (dataset)", "param `\(key)` has an unexpected value \(params[key].map { $0.canonicalJSON } ?? "(missing)")",
                        hint: "the dataset StageSpec and DatasetStage disagree; this is a bug in runner")
        }
        func string(_ key: String) throws -> String? {
            switch params[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw mismatch(key)
            }
        }
        func choice<T: RawRepresentable>(_ key: String, _ fallback: T) throws -> T where T.RawValue == String {
            guard let raw = try string(key) else { return fallback }
            guard let value = T(rawValue: raw) else { throw mismatch(key) }
            return value
        }
        func bool(_ key: String, _ fallback: Bool) throws -> Bool {
            switch params[key] {
            case nil: return fallback
            case .bool(let b)?: return b
            default: throw mismatch(key)
            }
        }
        func int(_ key: String) throws -> Int? {
            switch params[key] {
            case nil, .null?: return nil
            case .int(let i)?: return Int(exactly: i)
            default: throw mismatch(key)
            }
        }
        func double(_ key: String) throws -> Double? {
            switch params[key] {
            case nil, .null?: return nil
            case .int(let i)?: return Double(i)
            case .double(let d)?: return d
            default: throw mismatch(key)
            }
        }
        var options = DatasetOptions()
        options.format = try choice("format", options.format)
        options.template = try string("template")
        if case .map(let map)? = params["columns"] {
            options.columns = try map.mapValues { value in
                guard case .string(let s) = value else { throw mismatch("columns") }
                return s
            }
        }
        options.useChatTemplate = try bool("use_chat_template", false)
        options.systemPrompt = try string("system_prompt")
        options.lossOn = try choice("loss_on", options.lossOn)
        options.maxSequenceLength = try int("max_seq_len") ?? options.maxSequenceLength
        options.truncation = try choice("truncation", options.truncation)
        options.overlong = try choice("overlong", options.overlong)
        options.packing = try bool("packing", false)
        options.shuffle = try bool("shuffle", true)
        options.evalSplit = try double("eval_split") ?? 0
        options.maxSamples = try int("max_samples")
        options.dedupe = try bool("dedupe", false)
        options.skipMalformed = try string("on_error") == "skip"
        options.seed = UInt64(bitPattern: try int("seed").map(Int64.init) ?? recipeSeed)
        return options
    }

    /// The lines shown after the stage (and in the run log).
    public static func summary(_ prepared: PreparedDataset) -> [String] {
        let s = prepared.stats
        var lines = ["\(s.examples) training example\(s.examples == 1 ? "" : "s"), \(s.tokens) tokens (\(s.trainedTokens) trained) in \(s.sequences) sequence\(s.sequences == 1 ? "" : "s")"
                     + (prepared.eval != nil ? "; \(s.evalExamples) evaluation examples, \(s.evalTokens) tokens" : "")]
        lines += prepared.notes
        return lines
    }
}

/// Progress already reported (the build reports cumulative counts).
private final class Counter: @unchecked Sendable {
    var value = 0
}

// MARK: - Preview (`runner data preview`)

extension DatasetStage {
    /// Builds a recipe's dataset stage without the cache and shows its first `count` training
    /// examples (trained tokens marked) and the stats. The tokenizer comes from the `load` stage
    /// upstream of the stage's `tokenizer` input, which must be a local file or directory.
    ///
    /// - Parameter stageName: the dataset stage to preview; nil when the recipe has exactly one.
    public static func preview(_ recipe: CompiledRecipe, stageName: String?, count: Int, color: Bool) throws -> [String] {
        let datasets = recipe.stages.filter { $0.kind == kind }
        let stage: StageInstance
        if let stageName {
            guard let named = datasets.first(where: { $0.name == stageName }) else {
                throw RunnerError(recipe.file.path, "has no dataset stage `\(stageName)`",
                                  hint: "dataset stages: \(datasets.map(\.name).joined(separator: ", "))")
            }
            stage = named
        } else {
            guard datasets.count == 1 else {
                throw RunnerError(recipe.file.path, datasets.isEmpty ? "has no dataset stage" : "has several dataset stages",
                                  hint: datasets.isEmpty ? nil : "pick one with --stage (\(datasets.map(\.name).joined(separator: ", ")))")
            }
            stage = datasets[0]
        }
        let modelURL = try localModel(of: stage, in: recipe)
        let bundle = try ModelBundle.open(modelURL)
        let options = try options(stage, seed: recipe.seed)
        let (train, eval) = try sources(stage)
        let prepared = try DatasetBuilder(options: options, tokenizer: bundle.tokenizer, chatTemplate: bundle.chatTemplate).build(train: train, eval: eval)
        var lines: [String] = []
        for index in 0..<min(count, prepared.train.examples.count) {
            let example = prepared.train.examples[index]
            lines.append(ExamplePreview.header(index, example, origin: prepared.train.origins[index], file: train.displayPath))
            lines.append(ExamplePreview.render(example, tokenizer: bundle.tokenizer, style: color ? .color : .brackets))
            lines.append("")
        }
        lines.append(color ? "trained tokens in \u{1B}[32mgreen\u{1B}[0m" : "trained tokens between ⟦ ⟧")
        return lines + summary(prepared)
    }

    /// The local model file or directory of the `load` stage the dataset's tokenizer comes from.
    static func localModel(of stage: StageInstance, in recipe: CompiledRecipe) throws -> URL {
        var current = stage.inputs["tokenizer"]
        var visited = Set<String>()
        while let name = current, visited.insert(name).inserted, let upstream = recipe.stages.first(where: { $0.name == name }) {
            if upstream.kind == "load" {
                guard let url = upstream.inputFiles["path"] else {
                    throw RunnerError("stage `\(upstream.name)`", "loads a remote model; `data preview` reads the tokenizer from a local file",
                                      hint: "run `runner apply` once, or point `path` at a local copy")
                }
                return url
            }
            current = ["from", "model", "base", "adapter"].lazy.compactMap { upstream.inputs[$0] }.first
        }
        throw RunnerError("stage `\(stage.name)`", "no `load` stage found upstream of its `tokenizer` input")
    }
}
