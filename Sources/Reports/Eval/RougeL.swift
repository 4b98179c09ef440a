// ROUGE-L: the F-measure of the longest common subsequence of two token lists, computed as
// Google's `rouge-score` package does with its default tokenizer and no stemming (checked against
// it by tools/reference/rouge_fixtures.py).

/// ROUGE-L precision, recall and F-measure of a prediction against a reference.
public struct RougeScore: Codable, Equatable, Sendable {
    /// LCS length / prediction tokens.
    public var precision: Double
    /// LCS length / reference tokens.
    public var recall: Double
    /// 2PR / (P + R); 0 when both are 0.
    public var fmeasure: Double

    public init(precision: Double, recall: Double, fmeasure: Double) {
        self.precision = precision
        self.recall = recall
        self.fmeasure = fmeasure
    }
}

public enum RougeL {
    /// `rouge-score`'s default tokenizer: lowercase, every run of characters other than ASCII
    /// `a-z0-9` becomes a separator, empty tokens dropped. Works on Unicode scalars, as Python's
    /// regex does on code points (so "café" gives `caf`, and "İ" lowercases to `i` + U+0307).
    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// Scores `prediction` against `reference`; all zeros when either has no tokens.
    public static func score(reference: String, prediction: String) -> RougeScore {
        score(referenceTokens: tokens(reference), predictionTokens: tokens(prediction))
    }

    public static func score(referenceTokens: [String], predictionTokens: [String]) -> RougeScore {
        guard !referenceTokens.isEmpty, !predictionTokens.isEmpty else { return RougeScore(precision: 0, recall: 0, fmeasure: 0) }
        let lcs = Double(lcsLength(referenceTokens, predictionTokens))
        let precision = lcs / Double(predictionTokens.count)
        let recall = lcs / Double(referenceTokens.count)
        let f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return RougeScore(precision: precision, recall: recall, fmeasure: f)
    }

    /// Length of the longest common subsequence, by dynamic programming over two rows
    /// (O(|a|·|b|) time, O(|b|) memory).
    static func lcsLength(_ a: [String], _ b: [String]) -> Int {
        var previous = [Int](repeating: 0, count: b.count + 1)
        var row = previous
        for x in a {
            for (j, y) in b.enumerated() {
                row[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], row[j])
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }
}
