// `runner data preview RECIPE`: builds a recipe's dataset stage outside the cache and shows the
// first examples with the trained tokens set apart (colour on a terminal, ⟦brackets⟧ otherwise).
import ArgumentParser
import Foundation
import Stages

/// `runner data`: dataset tools.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect a recipe's datasets.", subcommands: [DataPreviewCommand.self])
}

struct DataPreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview", abstract: "Show tokenized examples of a dataset stage, trained tokens marked, and its stats.")

    @OptionGroup var recipe: RecipeOptions

    @Option(name: .customLong("n"), help: "How many training examples to show.")
    var count = 3

    @Option(help: "The dataset stage to preview (needed when the recipe has several).")
    var stage: String?

    @Flag(help: "Mark trained tokens with ⟦brackets⟧ even on a terminal.")
    var noColor = false

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--n must be ≥ 0") }
    }

    func run() throws {
        let compiled = try recipe.compile()
        let color = Console.stdoutIsTerminal && !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        for line in try DatasetStage.preview(compiled, stageName: stage, count: count, color: color) {
            Console.out(line)
        }
    }
}
