// The hand-written GPT-2 / Llama 3 / Qwen2 pre-tokenizer matchers against the pieces Hugging Face's
// regex engine cuts (Fixtures/splits.json).

import Testing
@testable import Tokenizer

@Suite struct SplitPatternTests {
    @Test(arguments: SplitPattern.allCases)
    func piecesMatchHuggingFace(_ pattern: SplitPattern) throws {
        let fixture = try Fixtures.load("splits.json", as: SplitFixture.self)
        let expected = try #require(fixture.patterns.first { $0.pattern == pattern.rawValue })
        for (text, pieces) in zip(fixture.texts, expected.pieces) {
            var utf8 = text
            let got: [String] = utf8.withUTF8 { bytes in
                var ranges: [Range<Int>] = []
                pattern.split(bytes, 0..<bytes.count, into: &ranges)
                return ranges.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
            }
            #expect(got == pieces, "\(pattern) on \(text.debugDescription)")
        }
    }

    @Test func knowsPatternsByTheirRegexSource() {
        for pattern in SplitPattern.allCases { #expect(SplitPattern(regex: pattern.regex) == pattern) }
        #expect(SplitPattern(regex: #"\s+"#) == nil)
    }
}
