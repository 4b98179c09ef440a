// `runner runs ls`: one line per recorded run, oldest first.
import ArgumentParser
import Pipeline

struct RunsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List run records.")

    @OptionGroup var cache: CacheOptions

    @Option(help: "Only runs of the recipe with this name.")
    var recipe: String?

    @Flag(help: "Print the run records as JSON.")
    var json = false

    func run() throws {
        let runs = RunStore(directory: cache.store().runs).all().filter { recipe == nil || $0.recipeName == recipe }
        if json {
            try Console.json(runs)
            return
        }
        let width = runs.map(\.id.count).max() ?? 0
        for r in runs {
            let ran = r.stages.filter { $0.outcome == .miss }.count, hit = r.stages.filter { $0.outcome == .hit }.count
            var line = Format.pad(r.id, width + 2) + Format.pad(r.status.rawValue, 13) + Format.pad("\(ran) ran, \(hit) cached", 20)
            line += Format.pad(r.seconds.map(Format.duration) ?? "-", 9)
            if let git = r.git { line += String(git.commit.prefix(10)) + (git.dirty ? "+dirty" : "") }
            Console.out(line)
        }
        if runs.isEmpty { Console.out("no runs recorded yet") }
    }
}
