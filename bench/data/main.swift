// Dataset build throughput (not a test): the whole `dataset` pipeline — read JSONL, format with the
// template, tokenize prompt and prompt+completion with SmolLM2's tokenizer, mask, pack — on an
// FAQ-style corpus. bench/data/run.sh runs it on one core next to Hugging Face `tokenizers`.
//
// usage: data-bench <model.gguf> <corpus.jsonl> [repeats]

import ChatTemplate
import Data
import Formats
import Foundation
import Models
import Tokenizer

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write("usage: data-bench <model.gguf> <corpus.jsonl> [repeats]\n".data(using: .utf8)!)
    exit(2)
}
let repeats = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3
let metadata = try GGUFFile(contentsOf: URL(fileURLWithPath: arguments[1])).metadata
let tokenizer = try Tokenizer(description: ModelBundle.tokenizerDescription(metadata))
let chatTemplate = try metadata.stringIfPresent("tokenizer.chat_template")

func run(_ name: String, _ configure: (inout DatasetOptions) -> Void) throws {
    var options = DatasetOptions()
    options.format = .template
    options.template = "<human>: {question}\n<assistant>: {answer}"
    options.maxSequenceLength = 512
    options.seed = 42
    configure(&options)
    let builder = try DatasetBuilder(options: options, tokenizer: tokenizer, chatTemplate: chatTemplate)
    let source = DatasetSource(url: URL(fileURLWithPath: arguments[2]))
    var best = Double.infinity
    var stats = DatasetStats()
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        stats = try builder.build(train: source).stats
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    print(String(format: "swift %@  %d rows, %d tokens (%d trained) | best of %d: %.3f s = %.2f M tokens/s (whole build)",
                 name, stats.examples, stats.tokens, stats.trainedTokens, repeats, best, Double(stats.tokens) / best / 1e6))
}

try run("template      ") { _ in }
try run("template+pack ") { $0.packing = true }
try run("chat template ") { $0.format = .alpaca; $0.template = nil; $0.columns = ["instruction": "question", "output": "answer"]; $0.useChatTemplate = true }
