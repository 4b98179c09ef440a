// The `runner` command line: a thin layer over Recipe, Pipeline and Stages.
import ArgumentParser

/// Root command; subcommands live one per file in this module.
public struct RunnerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Fine-tune large language models from declarative, cached recipes.",
        version: "0.1.0",
        subcommands: []
    )

    public init() {}
}
