// ROUGE-L against Google's `rouge-score` (Fixtures/rouge.json from tools/reference/rouge_fixtures.py):
// the same tokens and the same precision, recall and F-measure for every pair.
import Foundation
import Testing
@testable import Reports

private struct RougeFixture: Decodable {
    struct Case: Decodable {
        var target: String
        var prediction: String
        var target_tokens: [String]
        var prediction_tokens: [String]
        var precision: Double
        var recall: Double
        var fmeasure: Double
    }
    var cases: [Case]
}

@Test func rougeLMatchesRougeScoreOnEveryFixturePair() throws {
    let fixture = try JSONDecoder().decode(RougeFixture.self, from: Fixtures.data("rouge.json"))
    #expect(fixture.cases.count > 40)
    #expect(fixture.cases.contains { $0.fmeasure > 0 && $0.fmeasure < 1 })
    for c in fixture.cases {
        #expect(RougeL.tokens(c.target) == c.target_tokens, "\(c.target)")
        #expect(RougeL.tokens(c.prediction) == c.prediction_tokens, "\(c.prediction)")
        let score = RougeL.score(reference: c.target, prediction: c.prediction)
        #expect(abs(score.precision - c.precision) < 1e-12, "\(c.target) | \(c.prediction)")
        #expect(abs(score.recall - c.recall) < 1e-12, "\(c.target) | \(c.prediction)")
        #expect(abs(score.fmeasure - c.fmeasure) < 1e-12, "\(c.target) | \(c.prediction)")
    }
}

@Test func lcsLengthCountsTheLongestCommonSubsequence() {
    #expect(RougeL.lcsLength(["a", "b", "c", "d"], ["b", "d"]) == 2)
    #expect(RougeL.lcsLength(["a", "b", "c"], ["c", "b", "a"]) == 1)
    #expect(RougeL.lcsLength([], ["a"]) == 0)
    #expect(RougeL.lcsLength(["x", "a", "y", "b"], ["a", "b", "x", "y"]) == 2)
}
