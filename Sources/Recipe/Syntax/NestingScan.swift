// A cheap pre-scan that bounds how deeply a YAML/JSON text nests, run before the real parser
// (whose composer recurses once per level): a file of 100 000 `[` must fail fast, not overflow
// the stack. It over-estimates rather than under-estimates: block indentation levels, compact
// `- ` indicators and flow brackets outside quoted scalars and comments all count.

enum NestingScan {
    /// The first line (1-based) where the estimated depth exceeds `limit`, and that depth.
    static func firstLineDeeperThan(_ limit: Int, in text: String) -> (line: Int, depth: Int)? {
        var indents: [Int] = []
        var flow = 0
        var quote: UInt8? = nil
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
            if quote == nil && flow == 0 {
                while let last = indents.last, last > i { indents.removeLast() }
                if indents.last != i { indents.append(i) }
            }
            var dashes = 0
            var tokenStart = quote == nil
            var deepest = flow
            var lastTokenWasIndicator = true
            while i < bytes.count {
                let c = bytes[i]
                if let q = quote {
                    if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") { i += 2; continue }
                    if c == q {
                        if q == UInt8(ascii: "'") && i + 1 < bytes.count && bytes[i + 1] == q { i += 2; continue }
                        quote = nil
                    }
                    i += 1
                    continue
                }
                switch c {
                case 32, 9:
                    i += 1
                    continue
                case UInt8(ascii: "#") where i == 0 || bytes[i - 1] == 32 || bytes[i - 1] == 9:
                    i = bytes.count
                    continue
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    if tokenStart { quote = c }
                    tokenStart = false
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if tokenStart || flow > 0 {
                        flow += 1
                        deepest = max(deepest, flow)
                        tokenStart = true
                        i += 1
                        continue
                    }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if flow > 0 { flow -= 1 }
                case UInt8(ascii: ","):
                    if flow > 0 { tokenStart = true; i += 1; continue }
                case UInt8(ascii: "-"), UInt8(ascii: "?"):
                    if tokenStart && flow == 0 && (i + 1 == bytes.count || bytes[i + 1] == 32) {
                        dashes += 1
                        lastTokenWasIndicator = true
                        i += 1
                        continue
                    }
                case UInt8(ascii: ":"):
                    if i + 1 == bytes.count || bytes[i + 1] == 32 || flow > 0 {
                        tokenStart = true
                        lastTokenWasIndicator = true
                        i += 1
                        continue
                    }
                default:
                    break
                }
                // A `|` or `>` right after an indicator starts a block scalar whose lines are text.
                if (c == UInt8(ascii: "|") || c == UInt8(ascii: ">")) && tokenStart && flow == 0 && lastTokenWasIndicator {
                    var j = i + 1
                    while j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") || (bytes[j] >= 48 && bytes[j] <= 57) { j += 1 }
                    while j < bytes.count, bytes[j] == 32 { j += 1 }
                    if j == bytes.count || bytes[j] == UInt8(ascii: "#") || bytes[j] == 13 {
                        blockScalarParent = indents.last ?? 0
                    }
                }
                tokenStart = false
                lastTokenWasIndicator = false
                i += 1
            }
            let depth = indents.count + dashes + deepest
            if depth > limit { return (lineNumber, depth) }
        }
        return nil
    }
}
