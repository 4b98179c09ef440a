// A cheap pre-scan run before the YAML parser, whose composer recurses once per nesting level:
// a file of 100 000 `[` must fail fast, not overflow the stack. (The exact depth limit is
// enforced after parsing; this only keeps the parser's recursion shallow.)
//
// Most files are settled by a bound that cannot be fooled: flow depth ≤ the number of `[` and
// `{` in the text, block depth ≤ 2 × (deepest indentation + 1) + indicators on one line. Only
// files with thousands of brackets get the heuristic scan, which tracks quotes and comments.

enum NestingScan {
    /// Nesting the parser handles comfortably on any thread (it survives 5000 in debug builds).
    static let parserSafeDepth = 1000

    /// The first line (1-based) where the nesting may exceed `limit`, and the estimated depth;
    /// nil when the text is provably shallow enough to parse.
    static func firstLineDeeperThan(_ limit: Int, in text: String) -> (line: Int, depth: Int)? {
        if provableBound(text) <= parserSafeDepth { return nil }
        return heuristicScan(limit, text)
    }

    /// A sound upper bound on nesting depth.
    static func provableBound(_ text: String) -> Int {
        var brackets = 0, deepestIndent = 0, mostIndicators = 0
        var indent = 0, indicators = 0, atLineStart = true
        var previous: UInt8 = 10
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "["), UInt8(ascii: "{"): brackets += 1
            case 10:
                mostIndicators = max(mostIndicators, indicators)
                indent = 0; indicators = 0; atLineStart = true
                previous = c
                continue
            case 32 where previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?") || previous == UInt8(ascii: ":"):
                indicators += 1
            default: break
            }
            if atLineStart {
                if c == 32 || c == 9 { indent += 1; deepestIndent = max(deepestIndent, indent) } else { atLineStart = false }
            }
            previous = c
        }
        mostIndicators = max(mostIndicators, indicators + 1)
        return brackets + 2 * (deepestIndent + 1) + mostIndicators
    }

    /// Tracks block indentation, compact `- ` indicators and flow brackets outside quoted scalars
    /// and comments, the way the YAML scanner tokenizes them.
    static func heuristicScan(_ limit: Int, _ text: String) -> (line: Int, depth: Int)? {
        let quoteMarks: Set<UInt8> = [UInt8(ascii: "\""), UInt8(ascii: "'")]
        var indents: [Int] = []
        var flow = 0
        var quote: UInt8? = nil
        var tokenStart = true
        var blockScalarParent: Int? = nil
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            var i = 0
            while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
            let blank = i == bytes.count || bytes[i] == 13 || (bytes[i] == UInt8(ascii: "#") && quote == nil)
            if let parent = blockScalarParent {
                if blank || i > parent { continue }
                blockScalarParent = nil
            }
            if blank { continue }
            if flow == 0 {
                quote = nil  // block-context quoted scalars rarely span lines; never hide a whole file
                tokenStart = true
                while let last = indents.last, last > i { indents.removeLast() }
                if indents.last != i { indents.append(i) }
            }
            var dashes = 0
            var deepest = flow
            var afterIndicator = true
            var justClosedQuote = false
            while i < bytes.count {
                let c = bytes[i]
                if let q = quote {
                    if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") { i += 2; continue }
                    if c == q {
                        if q == UInt8(ascii: "'") && i + 1 < bytes.count && bytes[i + 1] == q { i += 2; continue }
                        quote = nil
                        justClosedQuote = true
                    }
                    i += 1
                    continue
                }
                let next: UInt8 = i + 1 < bytes.count ? bytes[i + 1] : 32
                let nextEndsToken = next == 32 || next == 9 || next == 13 || next == UInt8(ascii: ",") || next == UInt8(ascii: "]") || next == UInt8(ascii: "}")
                if c == 32 || c == 9 { i += 1; continue }
                if c == UInt8(ascii: "#") && (i == 0 || bytes[i - 1] == 32 || bytes[i - 1] == 9) { break }
                defer { i += 1 }
                if quoteMarks.contains(c) && tokenStart {
                    quote = c
                    tokenStart = false
                    continue
                }
                let wasQuote = justClosedQuote
                justClosedQuote = false
                switch c {
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if tokenStart || flow > 0 {
                        flow += 1
                        deepest = max(deepest, flow)
                        tokenStart = true
                        continue
                    }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if flow > 0 { flow -= 1; continue }
                case UInt8(ascii: ","):
                    if flow > 0 { tokenStart = true; continue }
                case UInt8(ascii: "-"), UInt8(ascii: "?"):
                    if tokenStart && nextEndsToken {
                        if flow == 0 { dashes += 1 }
                        afterIndicator = true
                        continue
                    }
                case UInt8(ascii: ":"):
                    // A value indicator: before a space, or (JSON style, in flow) right after a quoted key.
                    if nextEndsToken || (flow > 0 && (wasQuote || next == UInt8(ascii: "\"") || next == UInt8(ascii: "'"))) {
                        tokenStart = true
                        afterIndicator = true
                        continue
                    }
                case UInt8(ascii: "&"), UInt8(ascii: "!"):
                    // An anchor or tag: the node's content starts after it.
                    if tokenStart {
                        while i + 1 < bytes.count, bytes[i + 1] != 32, bytes[i + 1] != 9 { i += 1 }
                        continue
                    }
                case UInt8(ascii: "|"), UInt8(ascii: ">"):
                    // A block scalar: its more-indented lines are text.
                    if tokenStart && flow == 0 && afterIndicator {
                        var j = i + 1
                        while j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") || (bytes[j] >= 48 && bytes[j] <= 57) { j += 1 }
                        while j < bytes.count, bytes[j] == 32 { j += 1 }
                        if j == bytes.count || bytes[j] == UInt8(ascii: "#") || bytes[j] == 13 {
                            blockScalarParent = indents.last ?? 0
                        }
                    }
                default:
                    break
                }
                tokenStart = false
                afterIndicator = false
            }
            let depth = 2 * indents.count + dashes + deepest
            if depth > limit { return (lineNumber, depth) }
        }
        return nil
    }
}
