// `runner runs`: the history of `apply` (ls, show, diff).
import ArgumentParser

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List, show and compare run records.",
        subcommands: [RunsListCommand.self, RunsShowCommand.self, RunsDiffCommand.self])
}
