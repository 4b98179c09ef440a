// Tokenizer throughput benchmark (not a test): encodes a text corpus with SmolLM2's tokenizer, read
// from the GGUF, on one thread, and prints tokens per second. bench/tokenizer/run.sh runs it next to
// Hugging Face `tokenizers` on the same corpus.
//
// usage: tokenizer-bench <model.gguf> <corpus.txt> [repeats]

import Formats
import Foundation
import Models
import Tokenizer

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: tokenizer-bench <model.gguf> <corpus.txt> [repeats]\n".utf8))
    exit(2)
}
let repeats = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3

let metadata = try GGUFFile(contentsOf: URL(fileURLWithPath: arguments[1])).metadata
let loadStart = Date()
let tokenizer = try Tokenizer(description: ModelBundle.tokenizerDescription(metadata))
let loadSeconds = Date().timeIntervalSince(loadStart)

// One document per blank-line-separated block, as a dataset would feed them.
let text = try String(contentsOf: URL(fileURLWithPath: arguments[2]), encoding: .utf8)
let documents = text.components(separatedBy: "\n\n")
let bytes = text.utf8.count

var best = Double.infinity
var tokens = 0
var idSum = 0
var idSquareSum = 0
for round in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    var count = 0
    for document in documents {
        let ids = tokenizer.encode(document, addSpecialTokens: false)
        count += ids.count
        if round == 0 {
            for id in ids { idSum += Int(id); idSquareSum += Int(id) * Int(id) }
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    best = min(best, seconds)
    tokens = count
}
print(String(format: "swift  load %.3f s | %d documents, %.1f MB, %d tokens | best of %d: %.3f s = %.2f M tokens/s, %.1f MB/s | id sums %ld %ld",
             loadSeconds, documents.count, Double(bytes) / 1e6, tokens, repeats, best, Double(tokens) / best / 1e6,
             Double(bytes) / best / 1e6, idSum, idSquareSum))
