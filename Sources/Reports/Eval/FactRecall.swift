// Fact recall: which of a question's required facts an answer states. A fact counts as present when
// its normalized text occurs in the answer's normalized text on word boundaries.

/// Which required facts an answer contains.
public struct FactCheck: Codable, Equatable, Sendable {
    public var hit: [String]
    public var missed: [String]

    /// hit / (hit + missed); nil when there were no facts to check.
    public var recall: Double? { hit.isEmpty && missed.isEmpty ? nil : Double(hit.count) / Double(hit.count + missed.count) }
}

public enum FactMatcher {
    /// Lowercases `text` and turns every run of characters that are not letters or digits
    /// (punctuation, symbols, whitespace) into one space, trimmed: "Forgot  Password?" and
    /// "forgot password" both give `forgot password`; "$5.95" gives `5 95`; "5-7 days" gives `5 7 days`.
    public static func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            let props = scalar.properties
            if props.isAlphabetic || props.numericType != nil || props.generalCategory == .nonspacingMark {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }

    /// Checks each fact against `answer`: present when `normalize(fact)` occurs in `normalize(answer)`
    /// starting and ending at word boundaries (so `30 days` is not found in "130 days").
    /// Facts keep their original spelling in the result.
    public static func check(facts: [String], in answer: String) -> FactCheck {
        let haystack = " " + normalize(answer) + " "
        var check = FactCheck(hit: [], missed: [])
        for fact in facts {
            let needle = normalize(fact)
            if !needle.isEmpty && haystack.contains(" " + needle + " ") {
                check.hit.append(fact)
            } else {
                check.missed.append(fact)
            }
        }
        return check
    }
}
