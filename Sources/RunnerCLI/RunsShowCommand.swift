// `runner runs show ID`: one run in detail (stages, keys, outcomes, timings, metrics).
import ArgumentParser
import Pipeline

struct RunsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one run record (id, unique prefix, `latest` or `latest~N`).")

    @OptionGroup var cache: CacheOptions

    @Argument(help: "The run id (or a unique prefix, `latest`, `latest~1`).")
    var id: String

    @Flag(help: "Print run.json.")
    var json = false

    func run() throws {
        let r = try RunStore(directory: cache.store().runs).resolve(id)
        if json {
            try Console.json(r)
            return
        }
        Console.out("run \(r.id): \(r.status.rawValue)" + (r.seconds.map { " in \(Format.duration($0))" } ?? ""))
        Console.out("recipe \(r.recipeName) (\(r.recipeFile)), seed \(r.seed)")
        if let git = r.git { Console.out("git \(git.commit)\(git.dirty ? " (dirty)" : "")") }
        Console.out("started \(r.startedAt), runner \(r.toolVersion), cache \(r.cacheDirectory)")
        if let error = r.error { Console.out("error: \(error)") }
        let width = r.stages.map(\.name.count).max() ?? 0
        for s in r.stages {
            var line = "  " + Format.pad(s.name, width + 2) + Format.pad(s.kind, 14) + Format.pad(s.outcome.rawValue, 12) + String(s.key.prefix(12))
            if let seconds = s.seconds { line += "  " + Format.duration(seconds) }
            let metrics = s.metrics.keys.sorted().map { "\($0)=\(s.metrics[$0]!)" }
            if !metrics.isEmpty { line += "  " + metrics.joined(separator: " ") }
            Console.out(line)
        }
    }
}
