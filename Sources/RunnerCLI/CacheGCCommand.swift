// `runner cache gc`: deletes entries no recent run references (least recently used first), never
// one that a running `apply` holds; sweeps what killed runs left and lock files nobody holds.
import ArgumentParser
import Foundation
import Pipeline

struct CacheGCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Delete cache entries not referenced by the most recent runs.",
        discussion: "Entries used by the newest --keep-runs run records are kept. With --max-size, only as many other entries as needed are deleted (least recently used first); without it, all of them. Resume checkpoints of stages those runs did not finish are kept too; the others are deleted.")

    @OptionGroup var cache: CacheOptions

    @Option(help: "Keep every entry referenced by this many most recent run records.")
    var keepRuns = 5

    @Option(help: ArgumentHelp("Delete unreferenced entries only until the cache is at most this size (e.g. 10GB, 500MB).", valueName: "size"))
    var maxSize: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if keepRuns < 0 { throw ValidationError("--keep-runs must be ≥ 0") }
        if let maxSize, Format.parseSize(maxSize) == nil { throw ValidationError("--max-size: cannot read `\(maxSize)` as a size (try 10GB or 500MB)") }
    }

    func run() throws {
        let store = cache.store()
        try store.prepare()
        let runs = RunStore(directory: store.runs).all()
        var keep = Set<String>()
        for record in runs.suffix(keepRuns) { keep.formUnion(record.stages.map(\.key)) }
        var lastUsed: [String: String] = [:]
        for record in runs { for stage in record.stages { lastUsed[stage.key] = max(lastUsed[stage.key] ?? "", record.startedAt) } }
        let report = store.collectGarbage(keep: keep, lastUsed: lastUsed, maxSize: maxSize.flatMap(Format.parseSize))
        if json {
            try Console.json(report)
            return
        }
        Console.out("removed \(report.removed.count) entr\(report.removed.count == 1 ? "y" : "ies") (\(Format.bytes(report.freedBytes))), kept \(report.keptReferenced) referenced by the last \(keepRuns) runs; cache now \(Format.bytes(report.remainingBytes))")
        if !report.skippedInUse.isEmpty { Console.out("kept \(report.skippedInUse.count) in use by a running apply") }
        if !report.removedCheckpoints.isEmpty {
            let n = report.removedCheckpoints.count
            Console.out("removed resume checkpoints of \(n) stage\(n == 1 ? "" : "s") no recent run references (\(Format.bytes(report.checkpointBytes)))")
        }
        if report.sweptTemporaries > 0 { Console.out("swept \(report.sweptTemporaries) stale build director\(report.sweptTemporaries == 1 ? "y" : "ies")") }
        if report.sweptWriterTemporaries > 0 {
            Console.out("swept \(report.sweptWriterTemporaries) temporar\(report.sweptWriterTemporaries == 1 ? "y" : "ies") left by killed runs")
        }
    }
}
