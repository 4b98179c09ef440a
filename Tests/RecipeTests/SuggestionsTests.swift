// Did-you-mean: edit distance with adjacent swaps, a length-aware threshold, and aliases for
// names other fine-tuning tools use.
import Testing
@testable import Recipe

@Suite struct SuggestionsTests {
    @Test func distance() {
        #expect(Suggestions.distance("learning_rate", "learning_rate") == 0)
        #expect(Suggestions.distance("learning_rat", "learning_rate") == 1)
        #expect(Suggestions.distance("laerning_rate", "learning_rate") == 1, "an adjacent swap is one edit")
        #expect(Suggestions.distance("", "abc") == 3)
        #expect(Suggestions.distance("kitten", "sitting") == 3)
    }

    @Test func nearest() {
        let keys = StageKind.train.spec.allKeys
        #expect(Suggestions.nearest("learning_rat", in: keys) == "learning_rate")
        #expect(Suggestions.nearest("Learning_Rate", in: keys) == "learning_rate")
        #expect(Suggestions.nearest("lr", in: keys) == "learning_rate")
        #expect(Suggestions.nearest("gradient_accumulation_steps", in: keys) == "gradient_accumulation")
        #expect(Suggestions.nearest("colour", in: keys) == nil)
        #expect(Suggestions.nearest("x", in: ["r"]) == "r", "one edit is always close enough")
        #expect(Suggestions.nearest("abc", in: ["xyz"]) == nil)
    }
}
