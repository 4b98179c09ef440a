// Several `runner apply` of the same and of different recipes on one cache at once: all succeed
// with identical outputs, every stage is computed once; `runner cache gc` looping during applies
// never deletes an entry in use; lock files nobody holds are deleted safely.
import Basics
import Foundation
import Pipeline
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs `runner cache gc --keep-runs 0` over and over on a background thread until stopped.
private final class GCLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private(set) var rounds = 0
    private(set) var failures: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ p: Project) {
        Thread.detachNewThread { [self] in
            while !isStopping {
                let result = (try? p.run(["cache", "gc", "--keep-runs", "0"], binary: "runner"))
                lock.lock()
                rounds += 1
                if result?.status != 0 { failures.append(result.map { "\($0.status): \($0.stderr)" } ?? "did not start") }
                lock.unlock()
            }
            done.signal()
        }
    }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    func stop() {
        lock.lock(); stopping = true; lock.unlock()
        done.wait()
    }
}

/// Starts every command at once and waits for all of them.
private func runTogether(_ p: Project, _ commands: [[String]]) throws -> [CLIResult] {
    let started = try commands.map { try p.start($0) }
    return started.map { p.finish($0.0, $0.1, $0.2, timeout: 300) }
}

@Suite(.serialized) struct ConcurrencyTests {
    @Test func concurrentAppliesOfTwoRecipesComputeEachStageOnceAndAgree() throws {
        let p = Project(); defer { p.cleanup() }
        try writeFaultProject(p)
        p.write("a.yaml", faultRecipe(name: "tiny-a", rank: 4, output: "out-a"))
        p.write("b.yaml", faultRecipe(name: "tiny-b", rank: 8, output: "out-b"))
        let a = ["apply", "a.yaml"], b = ["apply", "b.yaml"]

        // 1. Three of one recipe, two of another, on an empty cache: each distinct stage runs once.
        let first = try runTogether(p, [a, b, a, b, a])
        for result in first { try #require(result.status == 0, "\(result.stdout)\n\(result.stderr)") }
        let records = RunStore(directory: p.store.runs).all()
        #expect(records.count == 5 && records.allSatisfy { $0.status == .succeeded })
        var misses: [String: Int] = [:]
        for record in records { for stage in record.stages where stage.outcome == .miss { misses[stage.key, default: 0] += 1 } }
        let keys = Set(records.flatMap { $0.stages.map(\.key) })
        #expect(keys.count == 11, "base, quant, data shared; adapters, tune, adapter, merged per recipe: \(keys.count)")
        #expect(misses.count == keys.count && misses.values.allSatisfy { $0 == 1 }, "each stage computed exactly once: \(misses.values.sorted())")
        #expect(first.contains { $0.stdout.contains("(built by a concurrent run)") }, "the runs overlapped")
        let outputs = try RunDigests.treeDigests(p.url("out-a"), prefix: "out-a").merging(try RunDigests.treeDigests(p.url("out-b"), prefix: "out-b")) { x, _ in x }
        #expect(outputs.count >= 12)

        // 2. Empty the cache, then apply again while `cache gc --keep-runs 0` deletes whatever nobody holds.
        let emptied = try p.run(["cache", "gc", "--keep-runs", "0"], binary: "runner")
        #expect(emptied.status == 0 && p.store.list().isEmpty, "\(emptied.stdout)")
        let gc = GCLoop(p)
        var second: [CLIResult] = []
        for _ in 0 ..< 2 { second += try runTogether(p, [a, b, a]) }
        gc.stop()
        for result in second { #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)") }
        #expect(gc.failures.isEmpty, "\(gc.failures)")
        #expect(gc.rounds >= 3, "gc ran \(gc.rounds) times during the applies")
        let again = try RunDigests.treeDigests(p.url("out-a"), prefix: "out-a").merging(try RunDigests.treeDigests(p.url("out-b"), prefix: "out-b")) { x, _ in x }
        #expect(again == outputs, "outputs built under a looping gc differ")

        // 3. Nothing is left behind: every entry verifies, no temporaries, no lock files.
        let verify = try p.run(["cache", "verify"], binary: "runner")
        #expect(verify.status == 0, "\(verify.stdout)")
        let final = try p.run(["cache", "gc"], binary: "runner")
        #expect(final.status == 0)
        #expect(p.cacheTemporaries().isEmpty, "\(p.cacheTemporaries())")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: p.store.locks.path)) ?? []).isEmpty, "gc removes unheld lock files")
    }

    @Test func gcDeletesOnlyLockFilesNobodyHolds() throws {
        let p = Project(); defer { p.cleanup() }
        let store = p.store
        try store.prepare()
        let held = try #require(try store.lockForUse("held"))
        try #require(try store.lockForBuild("free", blocking: false)).release()
        #expect(store.removeUnheldLockFiles() == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: store.locks.path)
        #expect(left == ["held.use"])
        held.release()

        // A lock taken on a file that was unlinked meanwhile is not a lock: acquire retries on the new file.
        let url = store.locks.appendingPathComponent("k.build")
        let first = try #require(try FileLock.acquire(url, .exclusive, blocking: false))
        #expect(!FileLock.removeIfUnheld(url), "held: not removed")
        #expect(try FileLock.acquire(url, .exclusive, blocking: false) == nil, "exclusive means exclusive")
        first.release()
        #expect(FileLock.removeIfUnheld(url))
        #expect(!FileManager.default.fileExists(atPath: url.path))
        let second = try #require(try FileLock.acquire(url, .exclusive, blocking: false))
        #expect(FileManager.default.fileExists(atPath: url.path), "re-created on demand")
        second.release()
    }
}
