// Bad tokenizer definitions give clear errors — what, where (file:line:col, key path), how to fix —
// and never crash.

import Basics
import Foundation
import Testing
@testable import Tokenizer

@Suite struct BadInputTests {
    /// The single diagnostic thrown while loading `json`.
    func diagnostic(_ json: String, file: String = "tok.json") throws -> Diagnostic {
        do {
            _ = try Tokenizer(tokenizerJSON: Data(json.utf8), file: file)
        } catch let error as DiagnosticError {
            return try #require(error.diagnostics.first)
        }
        Issue.record("no error for \(json)")
        throw CancellationError()
    }

    let tinyModel = #""model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#

    @Test func syntaxErrorsHaveALocation() throws {
        let trailingComma = try diagnostic("{\n  \"model\": {\"vocab\": {\"a\": 0,}}\n}")
        #expect(trailingComma.location == SourceLocation(file: "tok.json", line: 2, column: 30))
        #expect(trailingComma.message.contains("invalid JSON"))

        let truncated = try diagnostic("{\"model\": {\"vocab\": {\"a")
        #expect(truncated.location?.line == 1)
        #expect(truncated.message.contains("unterminated string"))

        let empty = try diagnostic("")
        #expect(empty.message.contains("unexpected end of file"))

        let deep = try diagnostic(String(repeating: "[", count: 100_000))
        #expect(deep.message.contains("nesting"))

        let garbage = try diagnostic("{\"model\": nope}")
        #expect(garbage.location?.column == 11)
    }

    @Test func mergesReferencingUnknownTokens() throws {
        let error = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2},"# + "\n" + #""merges": ["a b", "a c"]}}"#)
        #expect(error.keyPath == "model.merges[1]")
        #expect(error.message.contains("\"c\""))
        #expect(error.location == SourceLocation(file: "tok.json", line: 2, column: 19))
        #expect(error.hint != nil)

        let merged = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}"#)
        #expect(merged.keyPath == "model.merges[0]" && merged.message.contains("\"ab\""))

        let malformed = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}"#)
        #expect(malformed.keyPath == "model.merges[0]")
    }

    @Test func inconsistentIds() throws {
        let duplicate = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}}}"#)
        #expect(duplicate.keyPath == #"model.vocab["b"]"# && duplicate.message.contains("already used"))

        let negative = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": -1}}}"#)
        #expect(negative.keyPath == #"model.vocab["a"]"#)

        let huge = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": 4000000000}}}"#)
        #expect(huge.message.contains("expected an integer"))

        let unknown = try diagnostic(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "unk_token": "<unk>"}}"#)
        #expect(unknown.keyPath == "model.unk_token")

        let template = try diagnostic("{" + tinyModel + #", "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {}}}"#)
        #expect(template.keyPath == "post_processor.single[0]")

        let outOfRange = try diagnostic("{" + tinyModel + #", "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [7], "tokens": ["<s>"]}}}}"#)
        #expect(outOfRange.keyPath == "post_processor.special_tokens.<s>.ids[0]")
    }

    @Test func unsupportedPartsAreNamed() throws {
        let unigram = try diagnostic(#"{"model": {"type": "Unigram", "vocab": []}}"#)
        #expect(unigram.keyPath == "model.type" && unigram.hint?.contains("BPE") == true)

        let normalizer = try diagnostic("{" + tinyModel + #", "normalizer": {"type": "BertNormalizer"}}"#)
        #expect(normalizer.keyPath == "normalizer.type" && normalizer.message.contains("BertNormalizer"))

        let regex = try diagnostic("{" + tinyModel + #", "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}}"#)
        #expect(regex.keyPath == "pre_tokenizer.pattern.Regex")

        let missingModel = try diagnostic("{}")
        #expect(missingModel.keyPath == "model")

        let wrongType = try diagnostic(#"{"model": {"type": "BPE", "vocab": [1, 2]}}"#)
        #expect(wrongType.keyPath == "model.vocab")
    }

    @Test func missingFileIsARunnerError() {
        #expect(throws: RunnerError.self) {
            try Tokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
    }

    @Test func inconsistentDescriptions() throws {
        func diagnostic(_ description: TokenizerDescription) throws -> Diagnostic {
            do { _ = try Tokenizer(description: description) } catch let error as DiagnosticError {
                return try #require(error.diagnostics.first)
            }
            Issue.record("no error")
            throw CancellationError()
        }
        let tokens = ["a", "b", "ab"]
        #expect(try diagnostic(TokenizerDescription(model: .gpt2, tokens: tokens, merges: ["a b"], bosTokenId: 7)).keyPath
                == "tokenizer.ggml.bos_token_id")
        #expect(try diagnostic(TokenizerDescription(model: .gpt2, tokens: tokens, merges: ["a x"])).keyPath
                == "tokenizer.ggml.merges[0]")
        #expect(try diagnostic(TokenizerDescription(model: .gpt2, preTokenizer: "mystery", tokens: tokens, merges: [])).keyPath
                == "tokenizer.ggml.pre")
        #expect(try diagnostic(TokenizerDescription(model: .llama, tokens: tokens, scores: [0, 1])).keyPath
                == "tokenizer.ggml.scores")
        #expect(try diagnostic(TokenizerDescription(model: .gpt2, tokens: tokens, merges: ["a b"], tokenTypes: [1])).keyPath
                == "tokenizer.ggml.token_type")
        #expect(try diagnostic(TokenizerDescription(model: .gpt2, tokens: [], merges: [])).keyPath == "tokenizer.ggml.tokens")
        #expect(try diagnostic(TokenizerDescription(model: .llama, tokens: tokens, merges: ["a b", "ab"], scores: [0, 0, 0])).keyPath
                == "tokenizer.ggml.merges[1]")
    }

    @Test func oddButValidInputDoesNotCrash() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Data(("{" + tinyModel + "}").utf8))
        // "c" is in no vocabulary and there is no unknown token: Hugging Face drops it.
        #expect(tokenizer.encode("abcab") == [2, 2])
        #expect(tokenizer.encode("") == [])
        #expect(tokenizer.decode([]) == "")
    }
}
