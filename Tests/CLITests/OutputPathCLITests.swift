// Output paths outside the recipe's directory: `validate`, `plan` and `apply` reject them with the
// path's location and a hint; `--allow-outside` lets `apply` (and `plan`, `validate`) accept them.
import Foundation
import Testing

private func outsideYAML(_ output: String) -> String {
    """
    version: 1
    name: outside
    stages:
      a: {kind: concat, text: "hello "}
      b: {kind: slow, from: a, steps: 2, step_ms: 1, text: line, out: \(output)}
    """
}

@Test func outputOutsideTheProjectNeedsAllowOutside() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("project/recipe.yaml", outsideYAML("../elsewhere/b.txt"))
    for command in ["validate", "plan", "apply"] {
        let result = try p.run([command, "project/recipe.yaml"])
        #expect(result.status == 1, "\(command): \(result.stderr)")
        #expect(result.stderr.contains("project/recipe.yaml:5:"), "\(command): \(result.stderr)")
        #expect(result.stderr.contains("output path `../elsewhere/b.txt` leaves the recipe's directory"))
        #expect(result.stderr.contains("--allow-outside"))
    }
    #expect(p.read("elsewhere/b.txt") == nil)
    #expect(try p.run(["validate", "--allow-outside", "project/recipe.yaml"]).status == 0)
    #expect(try p.run(["plan", "--allow-outside", "project/recipe.yaml"]).status == 0)
    let applied = try p.run(["apply", "--allow-outside", "project/recipe.yaml"])
    #expect(applied.status == 0, "\(applied.stderr)")
    #expect(p.read("elsewhere/b.txt") == expectedSlowOutput(steps: 2))
}

@Test func absoluteOutputIsRejectedWithItsLocation() throws {
    let p = Project(); defer { p.cleanup() }
    p.write("recipe.yaml", outsideYAML(p.url("abs/b.txt").path))
    let result = try p.run(["apply", "recipe.yaml"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("recipe.yaml:5:") && result.stderr.contains("is absolute"))
    #expect(try p.run(["apply", "--allow-outside", "recipe.yaml"]).status == 0)
    #expect(p.read("abs/b.txt") == expectedSlowOutput(steps: 2))
}
