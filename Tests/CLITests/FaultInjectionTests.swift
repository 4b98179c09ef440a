// Fault injection: `runner apply` of a real tiny fine-tuning pipeline is SIGKILLed ≥ 50 times, at
// seeded random moments and at named fail points (RUNNER_FAILPOINT: inside a cache publish, a
// checkpoint write, an atomic write, an output placement). After every kill no partial entry is
// visible; the next apply completes with the digests of an uninterrupted run; `cache verify` is
// clean and `cache gc` leaves no temporaries. A failure names its seed: RUNNER_FAULT_SEED replays it.
import Basics
import Foundation
import Pipeline
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One way to end an attempt early.
private enum Kill: CustomStringConvertible {
    case after(seconds: Double)
    case failPoint(String)

    var description: String {
        switch self {
        case .after(let seconds): return String(format: "SIGKILL after %.3f s", seconds)
        case .failPoint(let point): return "RUNNER_FAILPOINT=\(point)"
        }
    }

    /// A random kill: half at a random moment of a run's length, half at a fail point's random hit
    /// (hit counts sized so most fire: 7 publishes, 5 checkpoints, dozens of atomic writes).
    static func random(runSeconds: Double, using rng: inout SplitMix64) -> Kill {
        if Bool.random(using: &rng) { return .after(seconds: Double.random(in: 0.02 ... max(0.05, runSeconds), using: &rng)) }
        let point = FailPoint.allCases.randomElement(using: &rng)!
        let hits: ClosedRange<Int>
        switch point {
        case .publishBeforeManifest, .publishBeforeRename, .publishAfterRename: hits = 1 ... 7
        case .checkpointMidWrite, .checkpointBeforeRename, .checkpointAfterRename: hits = 1 ... 5
        case .atomicWriteBeforeRename: hits = 1 ... 30
        case .materializeBeforeRename: hits = 1 ... 8
        }
        return .failPoint("\(point.rawValue)@\(Int.random(in: hits, using: &rng))")
    }
}

/// Removes the cache and the outputs (entries are read-only).
private func resetProject(_ p: Project) {
    for name in [".runner", "out"] {
        let url = p.url(name)
        if let walker = FileManager.default.enumerator(atPath: url.path) {
            while let relative = walker.nextObject() as? String { chmod(url.path + "/" + relative, 0o755) }
        }
        try? FileManager.default.removeItem(at: url)
    }
}

@Suite(.serialized) struct FaultInjectionTests {
    @Test func everyKillIsFollowedByACompleteIdenticalRun() throws {
        let seed = testSeed("RUNNER_FAULT_SEED")
        let wanted = Int(ProcessInfo.processInfo.environment["RUNNER_FAULT_KILLS"] ?? "") ?? 50
        let replay = "replay: RUNNER_FAULT_SEED=\(seed) RUNNER_FAULT_KILLS=\(wanted) swift test -c release --filter FaultInjectionTests"
        var rng = SplitMix64(seed: seed)
        let p = Project(); defer { p.cleanup() }
        try writeFaultProject(p)

        let started = Date()
        let straight = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 180)
        try #require(straight.status == 0, "\(straight.stdout)\n\(straight.stderr)")
        let runSeconds = Date().timeIntervalSince(started)
        let expected = try RunDigests.of(p)
        #expect(expected.stages.count == 7 && expected.outputs.count >= 6, "\(expected)")

        var kills = 0, timedKills = 0, failPointKills: [String: Int] = [:], episodes = 0
        var history: [String] = []  // what each attempt did, printed on failure
        func context() -> String { "\n\(replay)\nlast attempts:\n" + history.suffix(12).joined(separator: "\n") }

        while kills < wanted {
            episodes += 1
            resetProject(p)
            let killsThisEpisode = Int.random(in: 1 ... 3, using: &rng)
            var killed = 0
            while true {
                let kill: Kill? = killed < killsThisEpisode && kills < wanted ? Kill.random(runSeconds: runSeconds, using: &rng) : nil
                var environment: [String: String] = [:]
                if case .failPoint(let point)? = kill { environment[FailPoint.environmentVariable] = point }
                let (process, out, err) = try p.start(["apply", "recipe.yaml"], environment: environment)
                if case .after(let seconds)? = kill {
                    let deadline = Date().addingTimeInterval(seconds)
                    while process.isRunning && Date() < deadline { usleep(2_000) }
                    if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
                }
                let result = p.finish(process, out, err, timeout: 180)
                let signalled = process.terminationReason == .uncaughtSignal
                history.append("episode \(episodes): \(kill.map(String.init(describing:)) ?? "no kill") → \(signalled ? "signal" : "exit") \(result.status)")
                if !signalled && result.status == 0 { break }  // finished before the kill (or no kill): the episode's final run
                try #require(signalled && result.status == SIGKILL, "apply must either finish or be killed\n\(result.stdout)\n\(result.stderr)\(context())")
                try #require(kill != nil, "an apply without a kill died\(context())")
                kills += 1
                killed += 1
                switch kill! {
                case .after: timedKills += 1
                case .failPoint(let point): failPointKills[String(point.prefix { $0 != "@" }), default: 0] += 1
                }
                // Whatever the kill left, no entry under objects/ is partial or damaged.
                let (_, problems) = p.store.verify(dryRun: true)
                try #require(problems.isEmpty, "after \(kill!): \(problems.map { "\($0.key.prefix(12)): \($0.problem)" })\(context())")
            }
            let digests = try RunDigests.of(p)
            try #require(digests == expected, "the run after the kills differs from an uninterrupted one:\n\(digests)\nexpected:\n\(expected)\(context())")
            let verify = try p.run(["cache", "verify"], binary: "runner")
            try #require(verify.status == 0, "\(verify.stdout)\n\(verify.stderr)\(context())")
            let gc = try p.run(["cache", "gc"], binary: "runner")
            try #require(gc.status == 0, "\(gc.stdout)\n\(gc.stderr)\(context())")
            try #require(p.cacheTemporaries().isEmpty, "left after `cache gc`: \(p.cacheTemporaries())\(context())")
            try #require(try RunDigests.of(p) == expected, "`cache gc` removed an entry of the latest run\(context())")
        }
        #expect(kills >= wanted)
        // With the default 50 kills both kinds occur and most points fire (a short replay may not).
        #expect(wanted < 40 || (timedKills > 0 && failPointKills.count >= 4), "kills: \(timedKills) timed, fail points \(failPointKills); \(replay)")
        print("FaultInjectionTests: \(kills) kills (\(timedKills) at random moments, fail points \(failPointKills.sorted { $0.key < $1.key })) in \(episodes) episodes, \(String(format: "%.0f", Date().timeIntervalSince(started))) s; seed \(seed)")
    }

    /// Each named point really stops the process there, and leaves what docs/RELIABILITY.md says.
    @Test func failPointsKillWhereTheySayAndTheNextRunRecovers() throws {
        let p = Project(); defer { p.cleanup() }
        try writeFaultProject(p)
        let cases: [(point: String, left: (Project) -> Bool, what: String)] = [
            ("publish:before-rename@2", { !$0.cacheTemporaries().filter { $0.hasPrefix("tmp/") }.isEmpty }, "a build directory with its manifest in tmp/"),
            ("publish:after-rename@1", { $0.store.list().count == 1 }, "the first entry, complete"),
            ("checkpoint:mid-write@2", { $0.cacheTemporaries().contains { $0.contains("/.tmp-step-") } }, "a half-written checkpoint temporary"),
            ("checkpoint:after-rename@3", { (try? FileManager.default.contentsOfDirectory(atPath: $0.store.checkpoints.path))?.count == 1 }, "checkpoints of the unfinished stage"),
        ]
        var expected: RunDigests?
        for (point, left, what) in cases {
            resetProject(p)
            let (process, out, err) = try p.start(["apply", "recipe.yaml"], environment: [FailPoint.environmentVariable: point])
            let killed = p.finish(process, out, err, timeout: 180)
            #expect(process.terminationReason == .uncaughtSignal && killed.status == SIGKILL, "\(point): \(killed.stdout)\n\(killed.stderr)")
            #expect(left(p), "\(point) should leave \(what); cache holds \(p.cacheTemporaries()) and \(p.store.list().map(\.stageName))")
            #expect(p.store.verify(dryRun: true).problems.isEmpty)
            let again = try p.run(["apply", "recipe.yaml"], binary: "runner", timeout: 180)
            #expect(again.status == 0, "\(point): \(again.stdout)\n\(again.stderr)")
            let digests = try RunDigests.of(p)
            if let expected { #expect(digests == expected, "\(point)") } else { expected = digests }
            if !p.cacheTemporaries().isEmpty {  // left for `cache gc`, which must remove them
                let gc = try p.run(["cache", "gc"], binary: "runner")
                #expect(gc.status == 0 && p.cacheTemporaries().isEmpty, "\(point): \(p.cacheTemporaries())")
            }
        }
        // A misspelt point must not silently disarm a test: the first hit (the run record's write) exits 70.
        resetProject(p)
        let (process, out, err) = try p.start(["apply", "recipe.yaml"], environment: [FailPoint.environmentVariable: "publish:sideways"])
        let misspelt = p.finish(process, out, err, timeout: 60)
        #expect(misspelt.status == 70, "\(misspelt.stderr)")
        #expect(misspelt.stderr.contains(#"RUNNER_FAILPOINT: unknown fail point "publish:sideways" (known points: publish:before-manifest, "#), "\(misspelt.stderr)")
    }
}
