// `runner validate FILE…`: checks recipes and prints every diagnostic (or, with --json, an array
// of Diagnostic objects). Exit 1 when any file has an error.
import ArgumentParser
import Basics
import Foundation
import Recipe

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check recipes and report every problem with its location.")

    @Argument(help: "Recipe files (YAML or JSON).")
    var files: [String]

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(name: .customLong("allow-outside"), help: "Accept output paths outside the recipe's directory (as `apply --allow-outside` would).")
    var allowOutside = false

    @Flag(help: "Print the diagnostics as a JSON array.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one recipe file") }
    }

    func run() throws {
        let catalog = RunnerEnvironment.current.catalog
        var all: [Diagnostic] = []
        for file in files {
            let diagnostics = RecipeLoader.validate(file: URL(fileURLWithPath: file).standardizedFileURL, overrides: overrides,
                                                    catalog: catalog, displayPath: file,
                                                    outputs: allowOutside ? .anywhere : .insideProject)
            all += diagnostics
            if !json {
                if diagnostics.isEmpty { Console.out("\(file): ok") }
                for d in diagnostics { Console.error(d.description) }
            }
        }
        if json { try Console.json(all) }
        let errors = all.filter { $0.severity == .error }.count
        if !json && errors > 0 { Console.error("\(errors) error\(errors == 1 ? "" : "s")") }
        if errors > 0 { throw ExitStatus.invalidInput }
    }
}
