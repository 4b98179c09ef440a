// `runner apply FILE`: runs what the plan says, with live progress, writes the run record and
// materializes the outputs the recipe asks for, then writes the run's report.html and TensorBoard
// event files. Exit 3 when a stage fails, 130 on Ctrl-C.
import ArgumentParser
import Foundation
import Pipeline
import Reports
import Stages

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
        let memory = PeakMemoryTracker()
        let executor = Executor(store: store, registry: RunnerEnvironment.current.registry, observer: ObserverGroup([memory, renderer]),
                                cancellation: cancellation)
        var record = try executor.apply(compiled)
        memory.record(into: &record)
        try? RunStore(directory: store.runs).write(record)
        let report = writeReport(record, store: store)
        defer { report.forEach(Console.out) }  // after the outcome line, whatever it is
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

    /// report.html and TensorBoard files in the run directory; a failure here is a warning, not a failed run.
    /// Returns the lines that say where they are.
    private func writeReport(_ record: RunRecord, store: ArtifactStore) -> [String] {
        let directory = store.runs.appendingPathComponent(record.id)
        do {
            let files = try RunReports.write(for: record, store: store, runDirectory: directory)
            return ["report: \(files.html.path)"] + (files.tensorBoard.map { ["tensorboard: tensorboard --logdir \($0.path)"] } ?? [])
        } catch {
            Console.error("warning: could not write the run report: \(error)")
            return []
        }
    }
}

/// Records the process's peak RSS as each stage finishes (or is taken from the cache) and at the end.
private final class PeakMemoryTracker: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var byStage: [String: Int] = [:]

    func handle(_ event: ExecutionEvent) {
        let name: String
        switch event {
        case .stageFinished(let n, _, _), .stageCached(let n, _, _), .stageFailed(let n, _): name = n
        default: return
        }
        guard let peak = ResourceUsage.peakResidentBytes() else { return }
        lock.lock()
        byStage[name] = peak
        lock.unlock()
    }

    func record(into record: inout RunRecord) {
        lock.lock()
        defer { lock.unlock() }
        for index in record.stages.indices { record.stages[index].peakRSSBytes = byStage[record.stages[index].name] }
        record.peakRSSBytes = ResourceUsage.peakResidentBytes()
    }
}
