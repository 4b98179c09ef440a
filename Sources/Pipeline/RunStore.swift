// Run records on disk: `<cache>/runs/<UTC time>-<name>/run.json` plus `log.txt`.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct RunStore: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// Creates a fresh run directory `<yyyyMMddTHHmmssZ>-<name>` (suffixed `-2`, `-3`… when two
    /// runs start in the same second) and returns its id and URL.
    public func createRun(recipeName: String, at date: Date) throws -> (id: String, directory: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let safeName = String(recipeName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        let base = "\(Timestamp.compact(date))-\(safeName)"
        for attempt in 1 ... 1000 {
            let id = attempt == 1 ? base : "\(base)-\(attempt)"
            let url = directory.appendingPathComponent(id)
            if mkdir(url.path, 0o755) == 0 { return (id, url) }
            guard errno == EEXIST else {
                throw RunnerError(url.path, "cannot create run directory: \(String(cString: strerror(errno)))")
            }
        }
        throw RunnerError(directory.path, "too many runs named \(base)")
    }

    public func write(_ record: RunRecord) throws {
        try AtomicFile.write(try PipelineJSON.encode(record), to: directory.appendingPathComponent(record.id).appendingPathComponent("run.json"))
    }

    /// Every readable run record, oldest first.
    public func all() -> [RunRecord] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return ids.compactMap { try? load(exactID: $0) }.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
    }

    /// The newest record of the recipe called `recipeName`.
    public func latest(recipeName: String) -> RunRecord? {
        all().last { $0.recipeName == recipeName }
    }

    public func load(exactID id: String) throws -> RunRecord {
        try PipelineJSON.decode(RunRecord.self, from: directory.appendingPathComponent(id).appendingPathComponent("run.json"))
    }

    /// A run by full id, unique id prefix, `latest`, or `latest~N` (N runs before the latest).
    public func resolve(_ reference: String) throws -> RunRecord {
        let runs = all()
        if reference == "latest" || reference.hasPrefix("latest~") {
            let back = Int(reference.dropFirst("latest~".count)) ?? 0
            guard runs.count > back else { throw RunnerError(reference, "no such run", hint: "there are \(runs.count) runs; see `runner runs ls`") }
            return runs[runs.count - 1 - back]
        }
        if let exact = runs.first(where: { $0.id == reference }) { return exact }
        let matches = runs.filter { $0.id.hasPrefix(reference) }
        guard matches.count == 1 else {
            throw RunnerError(reference, matches.isEmpty ? "no such run" : "ambiguous run id (\(matches.count) runs match)",
                              hint: "see `runner runs ls`")
        }
        return matches[0]
    }

    public func logURL(id: String) -> URL { directory.appendingPathComponent(id).appendingPathComponent("log.txt") }
}

/// Appends timestamped lines to a run's log.txt; also an `ExecutionObserver`.
public final class RunLog: ExecutionObserver, @unchecked Sendable {
    private let handle: FileHandle?
    private let lock = NSLock()
    private let start = Date()

    public init(url: URL) {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try? FileHandle(forWritingTo: url)
    }

    public func write(_ line: String) {
        let stamp = String(format: "%9.3f", Date().timeIntervalSince(start))
        lock.lock()
        defer { lock.unlock() }
        try? handle?.write(contentsOf: Data("[\(stamp)s] \(line)\n".utf8))
    }

    public func handle(_ event: ExecutionEvent) {
        switch event {
        case .runStarted(let id, let count): write("run \(id): \(count) stages")
        case .stageCached(let name, _, let elsewhere): write("\(name): cached\(elsewhere ? " (built by a concurrent run)" : "")")
        case .stageSkipped(let name, _, let reason): write("\(name): skipped (\(reason))")
        case .waitingForLock(let name): write("\(name): waiting for another runner building it")
        case .stageStarted(let name, let kind, _, let reasons): write("\(name) (\(kind)): running — \(reasons.joined(separator: "; "))")
        case .progress, .progressDetail: break  // progress is for the terminal; the log keeps milestones
        case .log(let name, let message): write("\(name): \(message)")
        case .stageFinished(let name, let seconds, let metrics):
            let m = metrics.keys.sorted().map { "\($0)=\(metrics[$0]!)" }.joined(separator: " ")
            write("\(name): done in \(String(format: "%.2f", seconds))s \(m)")
        case .stageFailed(let name, let message): write("\(name): FAILED: \(message)")
        case .materialized(let name, let path): write("\(name): output at \(path)")
        case .runFinished(let status, let seconds): write("run \(status.rawValue) in \(String(format: "%.2f", seconds))s")
        }
    }

    deinit { try? handle?.close() }
}
