// Output paths stay inside the recipe's directory: absolute paths, `..` escapes and symbolic
// links out of it are errors at the path's file:line:col (bad/output_outside.yaml has the golden
// messages); `OutputPathPolicy.anywhere` (`--allow-outside`) accepts them and sets no output root.
import Basics
import Foundation
import Testing
@testable import Recipe

@Suite struct OutputPathTests {
    /// A project in a fresh temporary directory with `recipe.yaml` exporting to `output`.
    func withProject(output: String, _ body: (URL, URL) throws -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runner-outputs-\(UUID().uuidString)")
        let project = root.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let model = Paths.fixtures.appendingPathComponent("data/tiny-model").path
        let recipe = project.appendingPathComponent("recipe.yaml")
        try "version: 1\nname: t\nstages:\n  base: {kind: load, path: \(model)}\n  gguf: {kind: export, from: base, path: \(output)}\n"
            .write(to: recipe, atomically: true, encoding: .utf8)
        try body(root, recipe)
    }

    @Test func symbolicLinkOutOfTheProjectIsAnError() throws {
        try withProject(output: "linked/model.gguf") { root, recipe in
            let outside = root.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: recipe.deletingLastPathComponent().appendingPathComponent("linked"),
                                                       withDestinationURL: outside)
            let found = RecipeLoader.validate(file: recipe, displayPath: "recipe.yaml")
            #expect(found.count == 1)
            let d = try #require(found.first)
            #expect(d.location == SourceLocation(file: "recipe.yaml", line: 5, column: 42))
            #expect(d.keyPath == "stages.gguf.path")
            #expect(d.message.hasPrefix("output path `linked/model.gguf` leads out of the recipe's directory through a symbolic link (`linked` is "))
            #expect(d.hint?.contains("--allow-outside") == true)
            // Allowed, it compiles, and the materializer gets no root to enforce.
            let compiled = try RecipeLoader.compile(file: recipe, outputs: .anywhere)
            #expect(compiled.stages.last?.outputRoot == nil)
        }
    }

    @Test func linksThatStayInsideAreFine() throws {
        try withProject(output: "linked/model.gguf") { _, recipe in
            let project = recipe.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: project.appendingPathComponent("real"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: project.appendingPathComponent("linked"),
                                                       withDestinationURL: project.appendingPathComponent("real"))
            #expect(RecipeLoader.validate(file: recipe).isEmpty)
            let compiled = try RecipeLoader.compile(file: recipe)
            #expect(compiled.stages.last?.outputRoot?.standardizedFileURL == project.standardizedFileURL)
            #expect(compiled.stages.last?.params["file_name"] == .string("model.gguf"), "export keys its file name")
        }
    }

    @Test func allowOutsideAcceptsAbsoluteAndParentPaths() throws {
        let url = Paths.bad.appendingPathComponent("output_outside.yaml")
        #expect(RecipeLoader.validate(file: url, outputs: .anywhere).isEmpty)
        let compiled = try RecipeLoader.compile(file: url, outputs: .anywhere)
        #expect(compiled.stages.first { $0.name == "absolute" }?.outputPath?.path == "/tmp/runner-model.gguf")
        #expect(compiled.stages.allSatisfy { $0.outputRoot == nil })
        // Insiders compile either way; only the four escapes are errors.
        let errors = diagnostics(url).filter { $0.severity == .error }
        #expect(errors.map { $0.keyPath ?? "" } == ["stages.absolute.path", "stages.home.path", "stages.escape.path", "stages.sneaky.path"])
    }

    @Test func insideChecksAreByPathComponents() {
        #expect(OutputPathCheck.isInside("/a/b/c", root: "/a/b"))
        #expect(OutputPathCheck.isInside("/a/b", root: "/a/b/"))
        #expect(!OutputPathCheck.isInside("/a/bc/d", root: "/a/b"), "a sibling with a common prefix is outside")
        #expect(!OutputPathCheck.isInside("/a", root: "/a/b"))
    }
}
