// Fact matching: case, whitespace and punctuation do not matter; word boundaries do.
import Testing
@testable import Reports

@Test func normalizationLowercasesAndCollapsesPunctuationAndSpaces() {
    #expect(FactMatcher.normalize("  Forgot\tPASSWORD?! ") == "forgot password")
    #expect(FactMatcher.normalize("$5.95") == "5 95")
    #expect(FactMatcher.normalize("5-7 business days") == "5 7 business days")
    #expect(FactMatcher.normalize("2 p.m. Pacific") == "2 p m pacific")
    #expect(FactMatcher.normalize("Crème brûlée") == "crème brûlée")
    #expect(FactMatcher.normalize("!!!") == "")
}

@Test func factsMatchAcrossCaseSpacingAndPunctuationButOnlyOnWordBoundaries() {
    let answer = "No problem!  Select \"Forgot Password\" and we'll e-mail a link valid for 60\nminutes; delivery takes 5–7 business days."
    let check = FactMatcher.check(facts: ["Forgot password?", "60 minutes", "5-7 business days", "e-mail", "0 minutes", "link valid for 6"], in: answer)
    #expect(check.hit == ["Forgot password?", "60 minutes", "5-7 business days", "e-mail"])
    #expect(check.missed == ["0 minutes", "link valid for 6"])
    #expect(check.recall == 4.0 / 6.0)
}

@Test func aFactWithNoLettersOrDigitsNeverMatchesAndNoFactsHaveNoRecall() {
    #expect(FactMatcher.check(facts: ["..."], in: "... anything ...").missed == ["..."])
    #expect(FactMatcher.check(facts: [], in: "text").recall == nil)
    #expect(FactMatcher.check(facts: ["$75"], in: "Free over $75.").recall == 1)
    #expect(FactMatcher.check(facts: ["$75"], in: "Free over $175.").recall == 0)
}
