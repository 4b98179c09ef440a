// `runner apply FILE`: runs what the plan says, with live progress, writes the run record and
// materializes the outputs the recipe asks for. Exit 3 when a stage fails, 130 on Ctrl-C.
import ArgumentParser
import Foundation
import Pipeline

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Run the stages whose inputs changed; reuse everything else from the cache.")

    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var cache: CacheOptions

    @Flag(help: "Plain progress lines even on a terminal.")
    var plain = false

    func run() throws {
        let compiled = try recipe.compile()
        let store = cache.store(defaultParent: compiled.projectDirectory)
        let cancellation = CancellationFlag()
        let trap = SignalTrap(cancellation: cancellation)
        defer { trap.uninstall() }
        let renderer = ProgressRenderer(interactive: Console.stdoutIsTerminal && !plain)
        let executor = Executor(store: store, registry: RunnerEnvironment.current.registry, observer: renderer, cancellation: cancellation)
        let record = try executor.apply(compiled)
        let ran = record.stages.filter { $0.outcome == .miss }.count
        let reused = record.stages.filter { $0.outcome == .hit }.count
        switch record.status {
        case .succeeded:
            Console.out("applied `\(record.recipeName)` in \(Format.duration(record.seconds ?? 0)): \(ran) ran, \(reused) cached — run \(record.id)")
        case .failed:
            Console.error("error: \(record.error ?? "a stage failed") — see \(store.runs.path)/\(record.id)/log.txt")
            throw ExitStatus.stageFailed
        case .interrupted:
            Console.error("interrupted — run \(record.id) recorded; no partial artifact was cached (training resumes from its last checkpoint when you run the same command again)")
            throw ExitStatus.interrupted
        case .running:
            throw ExitStatus.stageFailed
        }
    }
}
