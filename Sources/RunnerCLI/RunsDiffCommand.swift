// `runner runs diff A B`: what differs between two runs — params, input files, outcomes and
// metrics — side by side.
import ArgumentParser
import Pipeline

struct RunsDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Compare two runs: params and metrics side by side.")

    @OptionGroup var cache: CacheOptions

    @Argument(help: "The first run (id, prefix, `latest~1`…).")
    var a: String

    @Argument(help: "The second run.")
    var b: String

    @Flag(help: "Print the differences as JSON.")
    var json = false

    func run() throws {
        let store = RunStore(directory: cache.store().runs)
        let diff = RunDiff(try store.resolve(a), try store.resolve(b))
        if json {
            try Console.json(diff)
            return
        }
        Console.out("A = \(diff.a)\nB = \(diff.b)")
        printTable("param", diff.params)
        printTable("input file", diff.files)
        printTable("stage", diff.outcomes)
        printTable("metric", diff.metrics)
        if diff.params.isEmpty && diff.files.isEmpty && diff.metrics.isEmpty { Console.out("no param, input or metric differences") }
    }

    private func printTable(_ title: String, _ rows: [RunDiff.Row]) {
        guard !rows.isEmpty else { return }
        let w0 = max(title.count, rows.map(\.name.count).max() ?? 0) + 2
        let w1 = max(1, rows.map(\.a.count).max() ?? 0) + 2
        Console.out("")
        Console.out(Format.pad(title, w0) + Format.pad("A", w1) + "B")
        for row in rows { Console.out(Format.pad(row.name, w0) + Format.pad(row.a, w1) + row.b) }
    }
}

/// The differences between two run records.
struct RunDiff: Encodable {
    struct Row: Encodable {
        var name: String
        var a: String
        var b: String
    }

    var a: String
    var b: String
    var params: [Row] = []
    var files: [Row] = []
    var outcomes: [Row] = []
    var metrics: [Row] = []

    init(_ ra: RunRecord, _ rb: RunRecord) {
        a = ra.id
        b = rb.id
        params = Self.rows(Self.flat(ra) { s in s.params }, Self.flat(rb) { s in s.params })
        files = Self.rows(Self.flat(ra) { s in s.files.mapValues { "\($0.displayPath) \($0.digest.prefix(10))" } },
                          Self.flat(rb) { s in s.files.mapValues { "\($0.displayPath) \($0.digest.prefix(10))" } })
        outcomes = Self.rows(Dictionary(uniqueKeysWithValues: ra.stages.map { ($0.name, $0.outcome.rawValue) }),
                             Dictionary(uniqueKeysWithValues: rb.stages.map { ($0.name, $0.outcome.rawValue) }))
        metrics = Self.rows(Self.flat(ra) { s in s.metrics.mapValues { "\($0)" } }, Self.flat(rb) { s in s.metrics.mapValues { "\($0)" } })
    }

    /// `stage.key` → value over all stages.
    private static func flat(_ r: RunRecord, _ values: (RunRecord.Stage) -> [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for s in r.stages { for (k, v) in values(s) { out["\(s.name).\(k)"] = v } }
        return out
    }

    private static func rows(_ a: [String: String], _ b: [String: String]) -> [Row] {
        Set(a.keys).union(b.keys).sorted().compactMap { k in
            a[k] == b[k] ? nil : Row(name: k, a: a[k] ?? "—", b: b[k] ?? "—")
        }
    }
}
