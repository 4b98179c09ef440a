// JSONStringDecoder: escapes and surrogate pairs decode as Python's json.loads reads them; each
// fault is reported with the byte offset of the character at fault, under both leniencies.
import Basics
import Testing

@Suite struct JSONStringDecoderTests {
    func decode(_ json: String, _ decoding: JSONStringDecoding = .strict, quote: Int = 0) throws -> (text: String, end: Int) {
        var copy = json
        return try copy.withUTF8 { utf8 in try JSONStringDecoder.decode(UnsafeRawBufferPointer(utf8), openingQuote: quote, decoding) }
    }

    func failure(_ json: String, _ decoding: JSONStringDecoding = .strict) -> JSONStringError? {
        do { _ = try decode(json, decoding); return nil } catch { return error as? JSONStringError }
    }

    func fault(_ reason: JSONStringError.Reason, at offset: Int) -> JSONStringError {
        JSONStringError(reason, at: offset, literalStart: 0)
    }

    @Test func escapesAndPairsDecode() throws {
        // json.loads(r'"a\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00é"')
        let (text, end) = try decode(#"x"a\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00é" tail"#, quote: 1)
        #expect(text == "a\"\\/\u{08}\u{0C}\n\r\té€😀é")
        #expect(end == 46)
        #expect(try decode(#""plain é" "#).text == "plain é")
        #expect(try decode(#""""#) == ("", 2))
    }

    @Test func faultsCarryTheOffsetOfTheCharacterAtFault() {
        #expect(failure(#""abc"#) == fault(.unterminated, at: 0))
        #expect(failure(#""ab\"#) == fault(.unterminated, at: 0))
        #expect(failure("\"a\u{01}b\"") == fault(.controlCharacter(1), at: 2))
        #expect(failure(#""a\x""#) == fault(.invalidEscape(UInt8(ascii: "x")), at: 2))
        #expect(failure(#""a\u12"#) == fault(.incompleteUnicodeEscape, at: 2))
        #expect(failure(#""a\u12g4""#) == fault(.invalidHexDigit(UInt8(ascii: "g")), at: 6))
        #expect(failure(#""a\u+041""#) == fault(.invalidHexDigit(UInt8(ascii: "+")), at: 4))
        #expect(failure(#""ab\ud83d\u0041""#) == fault(.invalidLowSurrogate(0x41), at: 9))
        #expect(failure(#""ab\ud83d\u0041""#, .replacing) == fault(.invalidLowSurrogate(0x41), at: 9))
        #expect(failure(#""ab\ud83dx""#) == fault(.unpairedSurrogate(0xD83D), at: 9))
        #expect(failure(#""\ude00""#) == fault(.unpairedSurrogate(0xDE00), at: 7))
        #expect(fault(.invalidEscape(UInt8(ascii: "x")), at: 2).message == "invalid escape `\\x` in a string")
        #expect(fault(.unpairedSurrogate(0xD83D), at: 9).message == "unpaired surrogate \\ud83d")
    }

    @Test func leniencyDecidesLoneSurrogatesAndInvalidUTF8() throws {
        #expect(try decode(#""a\ud83dx\ude00""#, .replacing).text == "a\u{FFFD}x\u{FFFD}")
        let badUTF8: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        let strict = badUTF8.withUnsafeBytes { raw -> JSONStringError? in
            do { _ = try JSONStringDecoder.decode(raw, openingQuote: 0, .strict); return nil } catch { return error as? JSONStringError }
        }
        #expect(strict == fault(.invalidUTF8, at: 4))
        let replaced = try badUTF8.withUnsafeBytes { raw in try JSONStringDecoder.decode(raw, openingQuote: 0, .replacing) }
        #expect(replaced.text == "a\u{FFFD}")
        #expect(replaced.end == 4)
    }
}
