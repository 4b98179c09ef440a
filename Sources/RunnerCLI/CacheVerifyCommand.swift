// `runner cache verify`: re-hashes every entry; damaged or incomplete ones are removed (so the next
// apply rebuilds them) and reported. Exit 1 when any problem was found.
import ArgumentParser
import Pipeline

struct CacheVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every cache entry's files against its manifest; remove bad entries.")

    @OptionGroup var cache: CacheOptions

    @Flag(help: "Report problems without removing anything.")
    var dryRun = false

    @Flag(help: "Print the problems as JSON.")
    var json = false

    func run() throws {
        let store = cache.store()
        let (checked, problems) = store.verify(dryRun: dryRun)
        if json {
            try Console.json(problems)
        } else {
            for p in problems {
                Console.out("\(p.key.prefix(12)): \(p.problem)" + (p.removed ? " — removed" : dryRun ? "" : " — in use, not removed"))
            }
            Console.out("checked \(checked) entr\(checked == 1 ? "y" : "ies"): \(problems.isEmpty ? "all good" : "\(problems.count) bad")")
        }
        if !problems.isEmpty { throw ExitStatus.invalidInput }
    }
}
