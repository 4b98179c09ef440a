// The whole build on the project's FAQ data with SmolLM2's tokenizer: splits, shuffling, packing,
// stats, the written artifact — and the dataset-level errors (empty data or split, overlong
// examples, chat template errors, nothing to train).
import Foundation
import Testing
@testable import Data

@Suite struct BuilderTests {
    static let faq = DatasetSource(url: Support.packageRoot.appendingPathComponent("data/faq.json"), displayPath: "data/faq.json")

    func faqOptions() -> DatasetOptions {
        var options = DatasetOptions()
        options.format = .template
        options.template = "<human>: {question}\n<assistant>: {answer}"
        options.maxSequenceLength = 256
        options.seed = 42
        return options
    }

    func build(_ options: DatasetOptions, _ source: DatasetSource = faq, eval: DatasetSource? = nil, template: String? = nil) throws -> PreparedDataset {
        let smol = try Support.smol()
        return try DatasetBuilder(options: options, tokenizer: smol.tokenizer, chatTemplate: template ?? smol.template).build(train: source, eval: eval)
    }

    @Test func faqSplitsShufflesPacksAndWritesAValidArtifact() throws {
        var options = faqOptions()
        options.evalSplit = 0.1
        options.packing = true
        let prepared = try build(options)
        let stats = prepared.stats
        #expect(stats.records == 145)
        #expect(stats.evalExamples == 15 && stats.examples == 130)
        #expect(stats.trainedTokens > 0 && stats.trainedTokens < stats.tokens)
        #expect(stats.sequences < stats.examples)
        #expect(stats.packingEfficiency > 0.9 && stats.packingEfficiency <= 1)
        // The same seed gives the same split; another seed another one.
        let again = try build(options)
        #expect(again.train.examples == prepared.train.examples)
        options.seed = 43
        #expect(try build(options).eval!.origins.map(\.row) != prepared.eval!.origins.map(\.row))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runner-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try DatasetOutput.write(prepared, maxSequenceLength: 256, vocabularySize: try Support.smol().tokenizer.vocabularySize, packed: true, to: directory)
        let train = try DatasetArtifact(contentsOf: directory.appendingPathComponent("train.bin"))
        #expect(train.exampleCount == 130 && train.rowCount == stats.sequences && train.tokenCount == stats.tokens)
        // Every packed row's examples reappear intact, positions restarting per example.
        for r in 0..<train.rowCount {
            let row = train.row(r)
            var offset = 0
            for index in prepared.train.rows[r] {
                let example = prepared.train.examples[index]
                #expect(Array(row.ids[offset..<offset + example.ids.count]) == example.ids)
                #expect(Array(row.positionIds[offset..<offset + example.ids.count]) == (0..<Int32(example.ids.count)).map { $0 })
                offset += example.ids.count
            }
        }
        #expect(try DatasetArtifact(contentsOf: directory.appendingPathComponent("eval.bin")).exampleCount == 15)
        let json = try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: directory.appendingPathComponent("stats.json"))) as? [String: Any]
        #expect(json?["trained_tokens"] as? Int == stats.trainedTokens)
    }

    @Test func overlongExamplesAreCountedAndTruncatedOrDropped() throws {
        var options = faqOptions()
        options.maxSequenceLength = 75  // about the median FAQ example
        let truncated = try build(options)
        #expect(truncated.stats.overlong > 0 && truncated.stats.truncated == truncated.stats.overlong && truncated.stats.dropped == 0)
        #expect(truncated.train.examples.allSatisfy { $0.ids.count <= 75 })
        #expect(truncated.notes.contains { $0.contains("truncated \(truncated.stats.truncated) examples to max_seq_len 75, cutting the right end") })
        options.overlong = .drop
        let dropped = try build(options)
        #expect(dropped.stats.dropped == truncated.stats.overlong)
        #expect(dropped.stats.examples == 145 - dropped.stats.dropped)
        options.maxSequenceLength = 8
        #expect(Support.message { _ = try build(options) }.contains("every training example is longer than max_seq_len 8 and was dropped"))
    }

    @Test func dedupeMaxSamplesAndEvalFile() throws {
        let line = "{\"question\": \"Q\", \"answer\": \"A\"}\n"
        let file = DatasetSource(url: try Support.file("d.jsonl", line + line + "{\"question\": \"R\", \"answer\": \"B\"}\n"), displayPath: "d.jsonl")
        let eval = DatasetSource(url: try Support.file("e.jsonl", "{\"question\": \"S\", \"answer\": \"C\"}\n"), displayPath: "e.jsonl")
        var options = faqOptions()
        options.dedupe = true
        let prepared = try build(options, file, eval: eval)
        #expect(prepared.stats.duplicates == 1 && prepared.stats.examples == 2 && prepared.stats.evalExamples == 1)
        options.maxSamples = 1
        #expect(try build(options, file).stats.examples == 1)
    }

    @Test func emptyDatasetsAndSplitsAreErrors() throws {
        let empty = DatasetSource(url: try Support.file("e.jsonl", "\n\n"), displayPath: "e.jsonl")
        #expect(Support.message { _ = try build(faqOptions(), empty) }.contains("e.jsonl: the dataset has no records"))
        let one = DatasetSource(url: try Support.file("one.jsonl", "{\"question\": \"Q\", \"answer\": \"A\"}\n"), displayPath: "one.jsonl")
        var options = faqOptions()
        options.evalSplit = 0.2
        #expect(Support.message { _ = try build(options, one) }.contains("eval_split 0.2 of 1 examples holds out none"))
        options.evalSplit = 0.9
        let two = DatasetSource(url: try Support.file("two.jsonl", "{\"question\": \"Q\", \"answer\": \"A\"}\n{\"question\": \"R\", \"answer\": \"B\"}\n"), displayPath: "two.jsonl")
        #expect(Support.message { _ = try build(options, two) }.contains("leaves none for training"))
    }

    @Test func skippedRowsAreCountedAcrossReadingAndFormatting() throws {
        let text = "{\"question\": \"Q\", \"answer\": \"A\"}\n{oops}\n{\"question\": \"R\"}\n"
        let source = DatasetSource(url: try Support.file("s.jsonl", text), displayPath: "s.jsonl")
        #expect(Support.message { _ = try build(faqOptions(), source) }.hasPrefix("s.jsonl:2:2: error: invalid JSON"))
        var options = faqOptions()
        options.skipMalformed = true
        let prepared = try build(options, source)
        #expect(prepared.stats.skippedRows == 2 && prepared.stats.examples == 1)
        #expect(prepared.notes.first == "skipped 2 malformed records (on_error: skip)")
    }

    @Test func chatTemplateErrorsCarryLineAndColumn() throws {
        var options = faqOptions()
        options.format = .alpaca
        options.template = nil
        options.columns = ["instruction": "question", "output": "answer"]
        options.useChatTemplate = true
        let syntax = Support.message { _ = try build(options, template: "{% for m in messages %}\n{{ m.content }\n{% endfor %}") }
        #expect(syntax.hasPrefix("tokenizer.chat_template:2:"), "\(syntax)")
        let raising = "{% for m in messages %}{% if m.role == 'assistant' %}{{ raise_exception('no assistants here') }}{% endif %}{{ m.content }}{% endfor %}"
        let raised = Support.message { _ = try build(options, template: raising) }
        #expect(raised.contains("data/faq.json:") && raised.contains("row ") && raised.contains("no assistants here") && raised.contains(":1:"), "\(raised)")
    }

    @Test func perTurnTrainFlagsAndLossOnAll() throws {
        let text = """
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!", "train": false}, {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye!"}]}
        """
        let source = DatasetSource(url: try Support.file("c.jsonl", text), displayPath: "c.jsonl")
        var options = DatasetOptions()
        options.format = .chat
        options.lossOn = .assistant
        let smol = try Support.smol()
        let example = try build(options, source).train.examples[0]
        let trainedText = smol.tokenizer.decode(zip(example.ids, example.trained).filter(\.1).map(\.0))
        #expect(trainedText == "Goodbye!<|im_end|>")
        options.lossOn = .all
        #expect(try build(options, source).train.examples[0].trained.allSatisfy { $0 })
        options.lossOn = .completion
        let completion = try build(options, source).train.examples[0]
        #expect(smol.tokenizer.decode(zip(completion.ids, completion.trained).filter(\.1).map(\.0)) == "Goodbye!<|im_end|>\n")
    }

    @Test func textFormatTrainsEverythingWithEOS() throws {
        var options = DatasetOptions()
        options.format = .text
        let source = DatasetSource(url: try Support.file("t.txt", "Fernhollow sells tents.\n"), displayPath: "t.txt")
        let example = try build(options, source).train.examples[0]
        #expect(example.trained.allSatisfy { $0 })
        #expect(try Support.smol().tokenizer.decode(example.ids) == "Fernhollow sells tents.<|im_end|>")
        options.useChatTemplate = true
        #expect(Support.message { _ = try build(options, source) }.contains("has no prompt to wrap"))
    }
}
