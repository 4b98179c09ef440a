// `runner schema`: prints the JSON Schema of recipes (for editors and CI checks).
import ArgumentParser
import Recipe

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Print the JSON Schema of recipes.")

    func run() throws {
        Console.out(RecipeSchema.generate(catalog: RunnerEnvironment.current.catalog))
    }
}
