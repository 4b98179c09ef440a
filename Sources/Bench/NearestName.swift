// "Did you mean …?" for suite keys and values: the closest allowed name by edit distance.

enum NearestName {
    /// "did you mean `x`?" when some candidate is within a third of the word's length, else nil.
    static func hint(_ word: String, in candidates: [String]) -> String? {
        let threshold = max(1, min(3, word.count / 3))
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }.filter { $0.1 <= threshold }
        return scored.min { $0.1 < $1.1 }.map { "did you mean `\($0.0)`?" }
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps
    /// (`qlroa` is one edit from `qlora`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1), previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { current[j] = min(current[j], beforePrevious[j - 2] + 1) }
            }
            (beforePrevious, previous) = (previous, current)
        }
        return previous[b.count]
    }
}
