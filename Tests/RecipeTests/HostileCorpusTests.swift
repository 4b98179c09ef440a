// The hostile recipes of the fuzzers' seeds (fuzz/corpus/recipe/bad-*) as regression tests: each is
// validated from its own directory and fails with the first diagnostic docs/RELIABILITY.md lists.
import Basics
import Foundation
import Recipe
import RunnerTestSupport
import Testing

struct HostileCorpusTests {
    @Test func hostileRecipesFailAsDocumented() throws {
        let directory = HostileTable.packageRoot.appendingPathComponent("fuzz/corpus/recipe")
        try HostileTable.check("recipe") { _, name in
            let (recipe, diagnostics) = RecipeLoader.analyze(file: directory.appendingPathComponent(name), displayPath: name)
            if let error = diagnostics.first(where: { $0.severity == .error }) { throw DiagnosticError(error) }
            return recipe.map { "compiles \($0.stages.count) stages" } ?? "no recipe, no errors"
        }
    }

    @Test func symlinksAreSizedByTheirTargetAndDevicesAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runner-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let big = directory.appendingPathComponent("big.yaml")
        try Data(("# " + String(repeating: "x", count: 2 << 20) + "\n").utf8).write(to: big)
        let link = directory.appendingPathComponent("recipe.yaml")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: big)
        let linked = RecipeLoader.validate(file: link, displayPath: "recipe.yaml")
        #expect(linked.map(\.message) == ["recipe file is \((2 << 20) + 3) bytes; the limit is \(1 << 20) bytes"])
        let device = RecipeLoader.validate(file: URL(fileURLWithPath: "/dev/zero"), displayPath: "/dev/zero")
        #expect(device.map(\.message) == ["cannot read recipe `/dev/zero`: not a regular file"])
    }
}
