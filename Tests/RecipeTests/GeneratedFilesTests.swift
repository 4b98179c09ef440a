// The committed schemas/recipe.schema.json and docs/RECIPES.md must equal what the stage
// definitions generate, and the schema must accept every good recipe (checked with Python's
// `jsonschema` by tools/check_schema.py, an independent implementation of JSON Schema).
import Foundation
import Testing
@testable import Recipe

@Suite struct GeneratedFilesTests {
    static let regenerate = "regenerate with: RUNNER_UPDATE_GOLDEN=1 swift test --filter RecipeTests (or `runner schema > schemas/recipe.schema.json`, `runner docs > docs/RECIPES.md`)"

    func checkCommitted(_ relative: String, equals generated: String) throws {
        let url = Paths.packageRoot.appendingPathComponent(relative)
        if Paths.updating { try generated.write(to: url, atomically: true, encoding: .utf8) }
        let committed = try? String(contentsOf: url, encoding: .utf8)
        #expect(committed == generated, "\(relative) is out of date with Sources/Recipe/Stages; \(Self.regenerate)")
    }

    @Test func schemaIsUpToDate() throws {
        try checkCommitted("schemas/recipe.schema.json", equals: RecipeSchema.generate())
    }

    @Test func docsAreUpToDate() throws {
        try checkCommitted("docs/RECIPES.md", equals: RecipeDocs.generate())
    }

    @Test func generationIsStable() {
        #expect(RecipeSchema.generate() == RecipeSchema.generate())
        #expect(RecipeDocs.generate() == RecipeDocs.generate())
    }

    @Test func docsMentionEveryKey() {
        let docs = RecipeDocs.generate()
        for spec in StageCatalog.builtin.specs {
            #expect(docs.contains("### \(spec.kind)\n"))
            for key in spec.allKeys where key != "kind" { #expect(docs.contains("| `\(key)` |"), "\(spec.kind).\(key) undocumented") }
        }
    }

    @Test func schemaAcceptsGoodRecipesAndRejectsBadOnes() throws {
        let python = Paths.packageRoot.appendingPathComponent(".venv/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path),
                     ".venv/bin/python is missing: run scripts/bootstrap.sh to create it (it installs jsonschema)")
        let process = Process()
        process.executableURL = python
        process.arguments = [Paths.packageRoot.appendingPathComponent("tools/check_schema.py").path]
        process.currentDirectoryURL = Paths.packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "tools/check_schema.py failed:\n\(output)")
    }
}
