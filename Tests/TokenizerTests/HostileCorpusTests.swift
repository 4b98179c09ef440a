// The hostile tokenizer.json seeds of the fuzzers (fuzz/corpus/tokenizer/bad-*) as regression tests:
// each fails (or loads) exactly as docs/RELIABILITY.md lists, and the valid seed tokenizes.
import Foundation
import RunnerTestSupport
import Testing
import Tokenizer

struct HostileCorpusTests {
    @Test func hostileTokenizerFilesFailAsDocumented() throws {
        try HostileTable.check("tokenizer") { data, name in
            let tokenizer = try Tokenizer(tokenizerJSON: data, file: name)
            return "encodes \"hello world\" as \(tokenizer.encode("hello world", addSpecialTokens: false))"
        }
    }

    @Test func validSeedTokenizes() throws {
        let url = HostileTable.packageRoot.appendingPathComponent("fuzz/corpus/tokenizer/valid-tiny-bytelevel.json")
        let tokenizer = try Tokenizer(contentsOf: url)
        let ids = tokenizer.encode("hello world", addSpecialTokens: false)
        #expect(ids == [11, 16])
        #expect(tokenizer.decode(ids) == "hello world")
    }
}
