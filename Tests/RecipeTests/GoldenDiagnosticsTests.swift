// Golden tests for diagnostics: every broken recipe in Fixtures/recipes/bad has the exact
// rendered diagnostics in `<name>.expected` (and `--set` arguments, one per line, in `<name>.args`).
// Messages are a product surface: a change to any of them shows up here.
import Basics
import Foundation
import Testing
@testable import Recipe

@Suite struct GoldenDiagnosticsTests {
    static let badRecipes = files(in: Paths.bad, extensions: ["yaml", "json"])

    @Test func thereAreEnoughBrokenRecipes() {
        #expect(Self.badRecipes.count >= 25)
    }

    @Test(arguments: badRecipes.map(\.lastPathComponent))
    func brokenRecipeDiagnostics(_ name: String) throws {
        let url = Paths.bad.appendingPathComponent(name)
        let argsURL = URL(fileURLWithPath: url.path + ".args")
        let overrides = (try? String(contentsOf: argsURL, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        let found = diagnostics(url, overrides: overrides)
        let rendered = found.map(\.description).joined(separator: "\n") + "\n"
        let expectedURL = URL(fileURLWithPath: url.path + ".expected")
        if Paths.updating {
            try rendered.write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(rendered == expected, "diagnostics for bad/\(name) changed; if intended, run RUNNER_UPDATE_GOLDEN=1 swift test --filter RecipeTests and review the .expected diff")
        // Every broken recipe fails to compile, except the one that only has warnings.
        let errors = found.filter { $0.severity == .error }
        if name.hasPrefix("warnings_only") {
            #expect(errors.isEmpty && !found.isEmpty)
            _ = try RecipeLoader.compile(file: url)
        } else {
            #expect(!errors.isEmpty)
            #expect(throws: DiagnosticError.self) { try RecipeLoader.compile(file: url, overrides: overrides) }
        }
        // Every diagnostic says where: a file position (all our fixtures have one).
        for d in found { #expect(d.location != nil, "no location: \(d)") }
    }

    @Test func goodRecipesHaveNoDiagnostics() {
        for url in files(in: Paths.good, extensions: ["yaml", "json"]) {
            let found = diagnostics(url)
            #expect(found.isEmpty, "\(url.lastPathComponent): \(found)")
        }
        // Recipes for weights users bring themselves are checked with a stand-in model directory.
        let standIn = Paths.packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16").path
        let userWeights = ["llama2-faq.yaml": ["stages.base.path=\(standIn)"]]
        for url in files(in: Paths.packageRoot.appendingPathComponent("recipes"), extensions: ["yaml", "json"]) {
            let found = diagnostics(url, overrides: userWeights[url.lastPathComponent] ?? [])
            #expect(found.isEmpty, "recipes/\(url.lastPathComponent): \(found)")
        }
    }

    @Test func diagnosticsEncodeAsJSON() throws {
        let found = diagnostics(Paths.bad.appendingPathComponent("unknown_key_typo.yaml"))
        let data = try JSONEncoder().encode(found)
        let decoded = try JSONDecoder().decode([Diagnostic].self, from: data)
        #expect(decoded == found)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"hint\":\"did you mean `learning_rate`?\""))
    }
}
