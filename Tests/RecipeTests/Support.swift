// RecipeTests: shared helpers — where the package root, the fixtures and the committed generated
// files are, and how to render diagnostics for golden comparisons.
import Basics
import Foundation
@testable import Recipe

enum Paths {
    /// The package root, found from this file's path (tests run from the source tree).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/recipes")
    static let good = fixtures.appendingPathComponent("good")
    static let bad = fixtures.appendingPathComponent("bad")

    /// Set `RUNNER_UPDATE_GOLDEN=1` to rewrite golden files, the schema and the docs from the code.
    static var updating: Bool { ProcessInfo.processInfo.environment["RUNNER_UPDATE_GOLDEN"] == "1" }
}

/// Validates a fixture, naming it `bad/foo.yaml` in messages (as a user in Fixtures/recipes would).
func diagnostics(_ url: URL, overrides: [String] = [], catalog: StageCatalog = .builtin) -> [Diagnostic] {
    let display = url.path.replacingOccurrences(of: Paths.fixtures.path + "/", with: "")
    return RecipeLoader.validate(file: url, overrides: overrides, catalog: catalog, displayPath: display)
}

func compiled(_ name: String, overrides: [String] = [], catalog: StageCatalog = .builtin) throws -> CompiledRecipe {
    try RecipeLoader.compile(file: Paths.good.appendingPathComponent(name), overrides: overrides, catalog: catalog)
}

/// Files directly in `dir` with one of the extensions, sorted.
func files(in dir: URL, extensions: [String]) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().filter { name in extensions.contains { name.hasSuffix(".\($0)") } }.map { dir.appendingPathComponent($0) }
}
