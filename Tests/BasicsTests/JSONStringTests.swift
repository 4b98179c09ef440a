// JSONString: each escaping option against the text the reference writer produces for the same
// string (expected values from Python's json.dumps; the two frozen variants spelled out by rule).
import Basics
import Testing

@Suite struct JSONStringTests {
    /// Every control character, the always-escaped pair, `/`, DEL, and 2-, 3- and 4-byte UTF-8.
    static let hostile = String(String.UnicodeScalarView((0 ..< 0x20).map { Unicode.Scalar(UInt8($0)) })) + "\"\\/ a\u{7F}é€😀"

    static let controlsAsEscapes = #"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007"#
    static let controlsAfterTab = #"\u000b"#
    static let controlsAfterCR = #"\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#

    @Test func minimalMatchesPythonWithoutEnsureASCII() {
        // json.dumps(s, ensure_ascii=False)
        let expected = "\"" + Self.controlsAsEscapes + #"\b\t\n"# + Self.controlsAfterTab + #"\f\r"# + Self.controlsAfterCR
            + #"\"\\/ a"# + "\u{7F}é€😀\""
        #expect(JSONString.quoted(Self.hostile, .minimal) == expected)
    }

    @Test func pythonASCIIMatchesPythonDefault() {
        // json.dumps(s)
        let expected = "\"" + Self.controlsAsEscapes + #"\b\t\n"# + Self.controlsAfterTab + #"\f\r"# + Self.controlsAfterCR
            + #"\"\\/ a\u007f\u00e9\u20ac\ud83d\ude00""#
        #expect(JSONString.quoted(Self.hostile, .pythonASCII) == expected)
    }

    @Test func longFormBackspaceAndFormFeedAndDelete() {
        let escaping = JSONStringEscaping(shortBackspaceAndFormFeed: false, escapesDelete: true, asciiOnly: false)
        let expected = "\"" + Self.controlsAsEscapes + #"\u0008\t\n"# + Self.controlsAfterTab + #"\u000c\r"# + Self.controlsAfterCR
            + #"\"\\/ a\u007f"# + "é€😀\""
        #expect(JSONString.quoted(Self.hostile, escaping) == expected)
        let keepDelete = JSONStringEscaping(shortBackspaceAndFormFeed: false, escapesDelete: false, asciiOnly: false)
        #expect(JSONString.quoted("\u{08}\u{0C}\u{7F}", keepDelete) == "\"\\u0008\\u000c\u{7F}\"")
    }

    @Test func appendAddsToWhatIsThere() {
        var out = "["
        JSONString.append("a\"b", .minimal, to: &out)
        #expect(out == #"["a\"b""#)
        #expect(JSONString.quoted("", .pythonASCII) == #""""#)
    }
}
