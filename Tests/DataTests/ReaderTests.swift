// Dataset files: JSONL, JSON (arrays and objects holding a list), CSV/TSV with RFC 4180 quoting,
// plain text — and their bad-input messages (file:line:col, skipped-row counts, invalid UTF-8).
import ChatTemplate
import Foundation
import Testing
@testable import Data

@Suite struct ReaderTests {
    @Test func jsonLinesKeepLineNumbersAndSkipBlankLines() throws {
        let result = try Support.read("d.jsonl", "{\"q\": \"a\", \"n\": 1}\n\n{\"q\": \"b\\n\\u00e9\\ud83d\\ude00\"}\r\n")
        #expect(result.records.map(\.line) == [1, 3])
        #expect(result.records.map(\.row) == [1, 2])
        #expect(result.records[0].fields["n"] == .int(1))
        #expect(result.records[1].string("q") == "b\né😀")
    }

    @Test func malformedJSONLineNamesLineAndColumn() {
        let message = Support.message { _ = try Support.read("d.jsonl", "{\"q\": \"a\"}\n{\"q\": \"b\",}\n") }
        #expect(message.hasPrefix("d.jsonl:2:11: error: invalid JSON: expected a string key in an object"), "\(message)")
        #expect(message.contains("on_error: skip"))
    }

    @Test func onErrorSkipCountsMalformedRows() throws {
        let result = try Support.read("d.jsonl", "{\"q\": 1}\nnot json\n[1]\n{\"q\": 2}\n", skip: true)
        #expect(result.records.count == 2)
        #expect(result.skipped.map(\.line) == [2, 3])
        #expect(result.skipped[1].message.contains("must be an object"))
    }

    @Test func invalidUTF8NamesTheRow() throws {
        let bytes = Array("{\"q\": \"ok\"}\n{\"q\": \"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)
        let url = try Support.file("bad.jsonl", bytes: bytes)
        let message = Support.message { _ = try DatasetReader().read(url, displayPath: "bad.jsonl") }
        #expect(message.hasPrefix("bad.jsonl:2:8: error: invalid UTF-8 (byte 0xC3)"), "\(message)")
        let csv = try Support.file("bad.csv", bytes: Array("a,b\n1,2\n3,".utf8) + [0xFF] + [0x0A])
        #expect(Support.message { _ = try DatasetReader().read(csv, displayPath: "bad.csv") }.hasPrefix("bad.csv:3:3: error: invalid UTF-8 (byte 0xFF)"))
    }

    @Test func jsonArrayAndObjectHoldingOneList() throws {
        let array = try Support.read("a.json", "[\n  {\"q\": \"x\"},\n  {\"q\": \"y\"}\n]")
        #expect(array.records.map(\.line) == [2, 3])
        let object = try Support.read("o.json", "{\"store\": {\"name\": \"F\"},\n \"tags\": [\"a\"],\n \"questions\": [\n  {\"q\": \"x\"},\n\n  {\"q\": \"y\"}]}")
        #expect(object.records.map { $0.string("q") } == ["x", "y"])
        #expect(object.records.map(\.line) == [4, 6])
    }

    @Test func jsonFileWithOneObjectPerLineIsReadAsJSONLines() throws {
        let result = try Support.read("lines.json", "{\"q\": \"x\"}\n{\"q\": \"y\"}\n")
        #expect(result.records.map { $0.string("q") } == ["x", "y"])
        #expect(Support.message { _ = try Support.read("one.json", "{\"q\": \"x\"} {\"q\": \"y\"}") }.contains("unexpected text after the JSON value"))
    }

    @Test func jsonObjectWithSeveralListsNeedsAKey() throws {
        let text = "{\"train\": [{\"q\": 1}], \"test\": [{\"q\": 2}, {\"q\": 3}]}"
        let message = Support.message { _ = try Support.read("o.json", text) }
        #expect(message.contains("several lists of records (train, test)") && message.contains("columns: {records: KEY}"), "\(message)")
        #expect(try Support.read("o.json", text, recordsKey: "test").records.count == 2)
        #expect(Support.message { _ = try Support.read("o.json", text, recordsKey: "dev") }.contains("no list `dev`"))
    }

    @Test func malformedJSONFileNamesLineAndColumn() {
        let message = Support.message { _ = try Support.read("a.json", "[\n {\"q\": \"x\"},\n {\"q\" \"y\"}\n]") }
        #expect(message.hasPrefix("a.json:3:7: error: invalid JSON: expected `:` after key \"q\""), "\(message)")
    }

    @Test func csvFollowsRFC4180Quoting() throws {
        let text = "question,answer\r\n\"Hi, there\",\"She said \"\"yes\"\"\"\r\n\"multi\nline\",plain\r\n"
        let result = try Support.read("d.csv", text)
        #expect(result.records.count == 2)
        #expect(result.records[0].string("question") == "Hi, there")
        #expect(result.records[0].string("answer") == "She said \"yes\"")
        #expect(result.records[1].string("question") == "multi\nline")
        #expect(result.records.map(\.line) == [2, 3])
        let tsv = try Support.read("d.tsv", "a\tb\nx, y\t\"q\tr\"\n")
        #expect(tsv.records[0].string("a") == "x, y" && tsv.records[0].string("b") == "q\tr")
    }

    @Test func malformedCSVRowsFailOrAreSkipped() throws {
        let text = "a,b\n1,2\n3\n4,5\"x\n\"6,7\n"
        let message = Support.message { _ = try Support.read("d.csv", text) }
        #expect(message.hasPrefix("d.csv:3:1: error: has 1 fields, the header has 2 (a, b)"), "\(message)")
        let skipped = try Support.read("d.csv", text, skip: true)
        #expect(skipped.records.count == 1)
        #expect(skipped.skipped.map(\.line) == [3, 4, 5])
        #expect(skipped.skipped[1].message.contains("quote inside an unquoted field"))
        #expect(skipped.skipped[2].message.contains("unterminated quoted field"))
    }

    @Test func plainTextIsOneExamplePerLine() throws {
        let result = try Support.read("d.txt", "first line\n\n  \nsecond line\n")
        #expect(result.records.map { $0.string("text") } == ["first line", "second line"])
        #expect(result.records.map(\.line) == [1, 4])
    }

    @Test func parquetAndUnknownExtensionsAreExplained() {
        #expect(Support.message { _ = try Support.read("d.parquet", "PAR1") }.contains("no maintained Swift Parquet reader"))
        #expect(Support.message { _ = try Support.read("d.xml", "<a/>") }.contains("use .jsonl, .json, .csv, .tsv or .txt"))
    }
}
