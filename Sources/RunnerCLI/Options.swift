// Options shared by several commands: the recipe file with `--set` overrides, and where the cache is.
import ArgumentParser
import Foundation
import Pipeline
import Recipe

struct RecipeOptions: ParsableArguments {
    @Argument(help: "The recipe file (YAML or JSON).")
    var file: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe value, e.g. --set stages.lora.r=32 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(name: .customLong("allow-outside"), help: "Let output paths (save/merge/export `path`) point outside the recipe's directory.")
    var allowOutside = false

    var fileURL: URL { URL(fileURLWithPath: file).standardizedFileURL }

    func compile() throws -> CompiledRecipe {
        try RecipeLoader.compile(file: fileURL, overrides: overrides, catalog: RunnerEnvironment.current.catalog, displayPath: file,
                                 outputs: allowOutside ? .anywhere : .insideProject)
    }
}

struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("cache"), help: ArgumentHelp("The cache directory (default: $RUNNER_CACHE, else .runner/ beside the recipe; for cache/runs commands, ./.runner).", valueName: "dir"))
    var directory: String?

    /// `--cache`, else `$RUNNER_CACHE`, else `.runner` in `defaultParent`.
    func store(defaultParent: URL) -> ArtifactStore {
        if let directory { return ArtifactStore(root: URL(fileURLWithPath: directory)) }
        if let env = RunnerEnvironment.current.variables["RUNNER_CACHE"], !env.isEmpty {
            return ArtifactStore(root: URL(fileURLWithPath: env))
        }
        return ArtifactStore(root: defaultParent.appendingPathComponent(".runner"))
    }

    /// For commands without a recipe: the cache in the current directory by default.
    func store() -> ArtifactStore {
        store(defaultParent: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }
}
