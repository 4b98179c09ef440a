// `runner cache ls`: every cache entry with its stage, kind, size and age.
import ArgumentParser
import Pipeline

struct CacheListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cache entries.")

    @OptionGroup var cache: CacheOptions

    @Flag(help: "Print the entries as JSON.")
    var json = false

    func run() throws {
        let store = cache.store()
        let entries = store.list()
        if json {
            try Console.json(entries)
            return
        }
        Console.out("cache \(store.root.path)")
        for e in entries {
            Console.out("  " + Format.pad(String(e.key.prefix(12)), 14) + Format.pad(e.stageName ?? "?", 16) + Format.pad(e.kind ?? "?", 14)
                        + Format.pad(Format.bytes(e.size), 11) + (e.complete ? (e.createdAt ?? "") : "INCOMPLETE (run `runner cache verify`)"))
        }
        Console.out("\(entries.count) entr\(entries.count == 1 ? "y" : "ies"), \(Format.bytes(entries.reduce(0) { $0 + $1.size }))")
    }
}
