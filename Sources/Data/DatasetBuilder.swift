// The whole dataset build: read → format → de-duplicate → shuffle → max_samples → eval split →
// tokenize and mask → length limit → rows (one example each, or packed) → stats. The `dataset`
// stage and `runner data preview` both run it.
import Basics
import ChatTemplate
import Dispatch
import Foundation
import Tokenizer

/// A dataset file and the path to show for it in messages.
public struct DatasetSource: Sendable {
    public var url: URL
    public var displayPath: String

    public init(url: URL, displayPath: String? = nil) {
        self.url = url
        self.displayPath = displayPath ?? url.path
    }
}

/// One split, tokenized: examples and how they are grouped into rows.
public struct PreparedSplit: Sendable {
    public var examples: [TokenizedExample]
    /// Each row lists indices into `examples`.
    public var rows: [[Int]]
    /// For each example, the record it came from (file line and row, for previews).
    public var origins: [DatasetRecord]
    public var tokenCount: Int { examples.reduce(0) { $0 + $1.ids.count } }
    public var trainedCount: Int { examples.reduce(0) { $0 + $1.trainedCount } }
}

/// The result of a build.
public struct PreparedDataset: Sendable {
    public var train: PreparedSplit
    public var eval: PreparedSplit?
    public var stats: DatasetStats
    /// Human-readable lines saying what was done (skips, truncation, drops, packing).
    public var notes: [String]
}

/// Builds tokenized datasets with one tokenizer and chat template.
public struct DatasetBuilder: Sendable {
    public let options: DatasetOptions
    public let tokenizer: Tokenizer
    let formatter: ExampleFormatter
    let encoder: ExampleEncoder

    /// - Parameter chatTemplate: the model's template source (needed for `format: chat` or `use_chat_template`).
    /// - Throws: `DiagnosticError` for a bad prompt template or chat template (with line:col).
    public init(options: DatasetOptions, tokenizer: Tokenizer, chatTemplate: String?) throws {
        self.options = options
        self.tokenizer = tokenizer
        let needsChat = options.format == .chat || options.useChatTemplate
        if needsChat && chatTemplate == nil {
            throw DatasetError.general(options.format == .chat ? "format" : "use_chat_template",
                                       "the tokenizer's model has no chat template",
                                       hint: "use a chat model, or a non-chat format without `use_chat_template`")
        }
        if options.useChatTemplate && options.format == .text {
            throw DatasetError.general("use_chat_template", "`format: text` has no prompt to wrap in a chat template",
                                       hint: "use `format: chat` for conversations, or turn `use_chat_template` off")
        }
        var template: ChatTemplate?
        if needsChat, let chatTemplate {
            do { template = try ChatTemplate(source: chatTemplate, name: "tokenizer.chat_template") } catch let error as ChatTemplateError {
                throw DiagnosticError(error.diagnostic)
            }
        }
        formatter = ExampleFormatter(format: options.format, columns: options.columns.filter { $0.key != "records" },
                                     template: try options.template.map(PromptTemplate.init), useChatTemplate: options.useChatTemplate,
                                     systemPrompt: options.systemPrompt)
        encoder = ExampleEncoder(tokenizer: tokenizer, chatTemplate: template, lossOn: options.lossOn)
    }

    /// Reads and formats a file; malformed rows are skipped and counted, or thrown (`skipMalformed`).
    public func formatted(_ source: DatasetSource) throws -> (examples: [(FormattedExample, DatasetRecord)], records: Int, skipped: Int) {
        let read = try DatasetReader(skipMalformed: options.skipMalformed, recordsKey: options.columns["records"]).read(source.url, displayPath: source.displayPath)
        guard !read.records.isEmpty || !read.skipped.isEmpty else {
            throw DatasetError.general(source.displayPath, "the dataset has no records", hint: "the file is empty (or holds only blank lines / a header)")
        }
        var examples: [(FormattedExample, DatasetRecord)] = []
        var skipped = read.skipped.count
        for record in read.records {
            do { examples.append((try formatter.format(record, file: source.displayPath), record)) } catch let error as DiagnosticError {
                guard options.skipMalformed else { throw error }
                skipped += 1
            }
        }
        guard !examples.isEmpty else {
            throw DatasetError.general(source.displayPath, "no usable examples: all \(read.records.count + read.skipped.count) records were malformed and skipped",
                                       hint: "check `format` and `columns` against the file's fields")
        }
        return (examples, read.records.count + read.skipped.count, skipped)
    }

    /// Runs the whole build. `progress(done, total)` is called as examples are tokenized;
    /// `checkCancellation` between phases and chunks.
    public func build(train: DatasetSource, eval: DatasetSource? = nil,
                      progress: (@Sendable (Int, Int) -> Void)? = nil, checkCancellation: () throws -> Void = {}) throws -> PreparedDataset {
        var stats = DatasetStats()
        stats.maxSequenceLength = options.maxSequenceLength
        var notes: [String] = []

        var (trainItems, records, skipped) = try formatted(train)
        stats.records += records
        stats.skippedRows += skipped
        var evalItems: [(FormattedExample, DatasetRecord)] = []
        if let eval {
            let result = try formatted(eval)
            evalItems = result.examples
            stats.records += result.records
            stats.skippedRows += result.skipped
        }
        if options.dedupe {
            let before = trainItems.count + evalItems.count
            var seen = Set<FormattedExample>()
            trainItems = trainItems.filter { seen.insert($0.0).inserted }
            evalItems = evalItems.filter { seen.insert($0.0).inserted }
            stats.duplicates = before - trainItems.count - evalItems.count
            notes.append("dropped \(stats.duplicates) duplicate example\(stats.duplicates == 1 ? "" : "s")")
        }
        if options.shuffle { trainItems.seededShuffle(seed: options.seed) }
        if let maxSamples = options.maxSamples, trainItems.count > maxSamples { trainItems = Array(trainItems.prefix(maxSamples)) }
        if eval == nil && options.evalSplit > 0 {
            let held = Int((Double(trainItems.count) * options.evalSplit).rounded())
            guard held > 0 else {
                throw DatasetError.general("eval_split", "eval_split \(options.evalSplit) of \(trainItems.count) examples holds out none",
                                           hint: "raise `eval_split`, add examples, or give an `eval_path`")
            }
            guard held < trainItems.count else {
                throw DatasetError.general("eval_split", "eval_split \(options.evalSplit) of \(trainItems.count) examples leaves none for training",
                                           hint: "lower `eval_split`")
            }
            evalItems = Array(trainItems.prefix(held))
            trainItems = Array(trainItems.dropFirst(held))
        }
        if eval != nil && evalItems.isEmpty {
            throw DatasetError.general(eval!.displayPath, "the evaluation split is empty (every example was a duplicate)")
        }
        try checkCancellation()

        let total = trainItems.count + evalItems.count
        let counter = ProgressCounter(total: total, report: progress)
        let trainSplit = try prepare(trainItems, file: train.displayPath, stats: &stats, counter: counter, checkCancellation: checkCancellation)
        let evalSplit = evalItems.isEmpty ? nil
            : try prepare(evalItems, file: (eval ?? train).displayPath, stats: &stats, counter: counter, checkCancellation: checkCancellation)
        guard !trainSplit.examples.isEmpty else {
            throw DatasetError.general("overlong", "every training example is longer than max_seq_len \(options.maxSequenceLength) and was dropped",
                                       hint: "raise `max_seq_len`, or set `overlong: truncate`")
        }
        if let evalSplit, evalSplit.examples.isEmpty {
            throw DatasetError.general("overlong", "every evaluation example is longer than max_seq_len \(options.maxSequenceLength) and was dropped",
                                       hint: "raise `max_seq_len`, or set `overlong: truncate`")
        }

        stats.examples = trainSplit.examples.count
        stats.tokens = trainSplit.tokenCount
        stats.trainedTokens = trainSplit.trainedCount
        stats.sequences = trainSplit.rows.count
        stats.evalExamples = evalSplit?.examples.count ?? 0
        stats.evalTokens = evalSplit?.tokenCount ?? 0
        stats.evalTrainedTokens = evalSplit?.trainedCount ?? 0
        stats.evalSequences = evalSplit?.rows.count ?? 0
        stats.packingEfficiency = Double(stats.tokens) / Double(stats.sequences * options.maxSequenceLength)
        if stats.skippedRows > 0 { notes.insert("skipped \(stats.skippedRows) malformed record\(stats.skippedRows == 1 ? "" : "s") (on_error: skip)", at: 0) }
        if stats.overlong > 0 {
            notes.append(options.overlong == .drop
                ? "dropped \(stats.dropped) example\(stats.dropped == 1 ? "" : "s") longer than max_seq_len \(options.maxSequenceLength) (overlong: drop)"
                : "truncated \(stats.truncated) example\(stats.truncated == 1 ? "" : "s") to max_seq_len \(options.maxSequenceLength), cutting the \(options.truncation.rawValue) end (overlong: truncate)")
        }
        if stats.trainedTokens == 0 {
            throw DatasetError.general("loss_on", "no training token is trained on (loss_on: \(options.lossOn.rawValue))",
                                       hint: "check `loss_on`, per-message `train` flags, and that truncation does not cut every completion (try `truncation: left`)")
        }
        notes.append(options.packing
            ? String(format: "packed %d examples into %d rows of %d tokens (%.1f%% full)", stats.examples, stats.sequences, options.maxSequenceLength, 100 * stats.packingEfficiency)
            : String(format: "%d examples, one per row (%.1f%% of %d-token rows would be filled; padding is added per batch)", stats.examples, 100 * stats.packingEfficiency, options.maxSequenceLength))
        return PreparedDataset(train: trainSplit, eval: evalSplit, stats: stats, notes: notes)
    }

    /// Tokenizes (in parallel), limits lengths and groups into rows.
    private func prepare(_ items: [(FormattedExample, DatasetRecord)], file: String, stats: inout DatasetStats,
                         counter: ProgressCounter, checkCancellation: () throws -> Void) throws -> PreparedSplit {
        let encoded = try encodeAll(items, file: file, counter: counter, checkCancellation: checkCancellation)
        let limiter = LengthLimiter(maxLength: options.maxSequenceLength, side: options.truncation, policy: options.overlong)
        var examples: [TokenizedExample] = []
        var origins: [DatasetRecord] = []
        for (index, encodedExample) in encoded.enumerated() {
            guard let example = encodedExample else { stats.skippedRows += 1; continue }
            let (kept, overlong) = limiter.apply(example)
            if overlong { stats.overlong += 1; if kept == nil { stats.dropped += 1 } else { stats.truncated += 1 } }
            if let kept, !kept.ids.isEmpty {
                examples.append(kept)
                origins.append(items[index].1)
            }
        }
        let rows = options.packing
            ? Packing.bestFitDecreasing(lengths: examples.map(\.ids.count), capacity: options.maxSequenceLength)
            : Packing.unpacked(count: examples.count)
        return PreparedSplit(examples: examples, rows: rows, origins: origins)
    }

    private func encodeAll(_ items: [(FormattedExample, DatasetRecord)], file: String, counter: ProgressCounter,
                           checkCancellation: () throws -> Void) throws -> [TokenizedExample?] {
        let results = ResultSlots<Result<TokenizedExample, EncodingFailure>>(count: items.count)
        let chunk = 256
        for chunkStart in stride(from: 0, to: items.count, by: chunk) {
            try checkCancellation()
            let range = chunkStart..<min(chunkStart + chunk, items.count)
            let workers = min(ProcessInfo.processInfo.activeProcessorCount, range.count)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: range.lowerBound + worker, to: range.upperBound, by: workers) {
                    do { results[index] = .success(try encoder.encode(items[index].0)) } catch let failure as EncodingFailure {
                        results[index] = .failure(failure)
                    } catch {
                        results[index] = .failure(EncodingFailure(message: "\(error)"))
                    }
                }
            }
            counter.advance(range.count)
        }
        return try items.indices.map { index in
            switch results[index]! {
            case .success(let example): return example
            case .failure(let failure):
                if options.skipMalformed { return nil }
                let record = items[index].1
                throw DatasetError.at(file, line: record.line, "row \(record.row): \(failure.message)", hint: failure.hint)
            }
        }
    }
}

/// Write-once slots filled from several threads (each index by one thread).
private final class ResultSlots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T?>
    private let count: Int
    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: nil, count: count)
    }
    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
    subscript(index: Int) -> T? {
        get { base[index] }
        set { base[index] = newValue }
    }
}

/// Thread-safe progress accumulation.
private final class ProgressCounter: @unchecked Sendable {
    let total: Int
    let report: (@Sendable (Int, Int) -> Void)?
    private var done = 0
    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }
    func advance(_ n: Int) {
        done += n
        report?(done, total)
    }
}
