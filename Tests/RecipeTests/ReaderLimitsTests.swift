// Defensive reading: hostile documents (alias bombs, deep nesting, huge files) fail fast with a
// clear message; locations are right for YAML, JSON and `--set` values.
import Basics
import Foundation
import Testing
@testable import Recipe

@Suite struct ReaderLimitsTests {
    @Test func billionLaughsFailsFast() throws {
        let start = Date()
        let found = diagnostics(Paths.bad.appendingPathComponent("billion_laughs.yaml"))
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("more than 100000 values") == true)
    }

    @Test func deepNestingIsRejectedBeforeParsing() {
        let text = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let (node, found) = DocumentReader.parse(text, file: "deep.yaml")
        #expect(node == nil)
        #expect(found.first?.message.hasPrefix("nesting is deeper than 64 levels") == true)
        let block = (0..<100).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        let (blockNode, blockFound) = DocumentReader.parse(block, file: "deep.yaml")
        #expect(blockNode == nil)
        #expect(blockFound.count == 1)
    }

    @Test func manyShallowBracketsAreFineAndHiddenDepthIsCaught() {
        // 3000 small flow lists: too many brackets for the provable bound, shallow for the scan.
        let many = "a: [" + (0..<3000).map { "[\($0), \"[x]\"]" }.joined(separator: ", ") + "]\n"
        #expect(NestingScan.provableBound(many) > NestingScan.parserSafeDepth)
        let (node, found) = DocumentReader.parse(many, file: "many.yaml")
        #expect(found.isEmpty)
        #expect(node != nil)
        // Quoted keys right before `:` (JSON style) and anchors must not hide real nesting.
        let json = "{\"a\":\"]]]]]]]]]]\", \"b\": &x " + String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000) + "}"
        #expect(NestingScan.firstLineDeeperThan(64, in: json) != nil)
        let (deep, deepFound) = DocumentReader.parse(json, file: "deep.json")
        #expect(deep == nil)
        #expect(deepFound.count == 1)
    }

    @Test func ordinaryNestingAndBracketsInStringsAreFine() {
        let text = """
        a:
          b: {c: [1, [2, [3]]], d: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}
          e: |
            [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
                    deeply indented text
                                      more
          f: 'it''s [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['
        """
        let (node, found) = DocumentReader.parse(text, file: "ok.yaml")
        #expect(found.isEmpty)
        #expect(node != nil)
    }

    @Test func largeFilesAreRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-big-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("big.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: 2 << 20).write(to: file)
        let found = RecipeLoader.validate(file: file, displayPath: "big.yaml")
        #expect(found.map(\.description) == ["big.yaml:1:1: error: recipe file is 2097152 bytes; the limit is 1048576 bytes (recipes are small configuration files; move data into dataset files)"])
    }

    @Test func jsonValuesHaveLocations() {
        let text = "{\n  \"a\": 1,\n  \"b\": {\"c\": \"x\", \"c\": \"y\"}\n}"
        let (node, found) = DocumentReader.parse(text, file: "f.json")
        let b = node?["b"]
        #expect(b?.keyLocation == SourceLocation(file: "f.json", line: 3, column: 3))
        #expect(b?.value["c"]?.value.location == SourceLocation(file: "f.json", line: 3, column: 14))
        #expect(found.map(\.description) == ["f.json:3:19: error: duplicate key `c` (first defined at line 3) (remove one of the two; only one value can apply)"])
    }

    @Test func quotedScalarsStayStrings() {
        let (node, _) = DocumentReader.parse("a: \"1\"\nb: 1\nc: !!str 2\nd: NO\n", file: "q.yaml")
        guard case .scalar(_, let aQuoted)? = node?["a"]?.value.value, case .scalar(_, let bQuoted)? = node?["b"]?.value.value,
              case .scalar(_, let cQuoted)? = node?["c"]?.value.value, case .scalar(let d, let dQuoted)? = node?["d"]?.value.value else {
            Issue.record("unexpected shape")
            return
        }
        #expect(aQuoted && !bQuoted && cQuoted && !dQuoted)
        #expect(d == "NO")
    }
}

@Suite struct JSONSyntaxTests {
    @Test func tabIndentedJSONParses() {
        let text = "{\n\t\"version\": 1,\n\t\"stages\": {\n\t\t\"a\": {\"kind\": \"load\"}\n\t}\n}\n"
        let (node, found) = DocumentReader.parse(text, file: "tabs.json")
        #expect(found.isEmpty)
        #expect(node?["stages"]?.value["a"]?.keyLocation == SourceLocation(file: "tabs.json", line: 4, column: 3))
    }
}
