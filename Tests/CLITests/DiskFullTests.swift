// A nearly full filesystem under the cache, then under an output directory: `runner apply` fails
// with an error naming the path, "no space left on device" and the fix; nothing is left corrupt or
// partial; the same command completes once space is freed. The small filesystem is a tmpfs mounted
// in a private mount namespace (`unshare`), so the test needs no root where unprivileged user
// namespaces are allowed, and is skipped with the reason where neither works.
import Foundation
import Pipeline
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// How this machine can mount a small tmpfs privately, or why it cannot.
private enum SmallFilesystem {
    /// `unshare` arguments that worked for a probe mount, or nil.
    static let unshareArguments: [String]? = {
        let candidates = [["--user", "--map-root-user", "--mount"]] + (getuid() == 0 ? [["--mount"]] : [])
        let probe = #"d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d"; rc=$?; rmdir "$d"; exit $rc"#
        return candidates.first { arguments in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = arguments + ["sh", "-c", probe]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }()

    static let skipReason: Comment = """
        needs a private tmpfs: `unshare --user --map-root-user --mount` (unprivileged user namespaces) or, as root, \
        `unshare --mount` with CAP_SYS_ADMIN; neither could mount here (a loop mount needs the same capability)
        """
}

/// The pipeline's first two stages alone: their entries exist before the disk fills.
private let baseRecipe = """
    version: 1
    name: tiny-base
    stages:
      base: {kind: load, path: model, dtype: f32}
      quant: {kind: quantize, from: base}
    """

/// One step of the script: its exit status, stdout and stderr, as the script saved them.
private struct Step {
    var status: Int32
    var stdout: String
    var stderr: String
    var all: String { stdout + "\n" + stderr }
}

@Suite(.serialized, .enabled(if: SmallFilesystem.unshareArguments != nil, SmallFilesystem.skipReason))
struct DiskFullTests {
    /// Runs the scenario inside one mount namespace (the tmpfs lives as long as the script) and
    /// returns each step by name. `small/` is the tmpfs; `results/` stays on the real disk.
    private func runScenario(_ p: Project, size: String, leaveFree kilobytes: Int, steps: String) throws -> [String: Step] {
        let runner = productsDirectory.appendingPathComponent("runner").path
        p.write("scenario.sh", """
            set -u
            cd "\(p.root.path)"
            mkdir -p small results
            mount -t tmpfs -o size=\(size) tmpfs small || exit 90
            run() { name=$1; shift; "$@" >"results/$name.out" 2>"results/$name.err"; echo $? >"results/$name.status"; }
            fill() {  # everything but \(kilobytes) KiB
                dd if=/dev/zero of=small/filler bs=64k 2>/dev/null
                free=$(( \(kilobytes) * 1024 )); size=$(stat -c %s small/filler)
                truncate -s $(( size > free ? size - free : 0 )) small/filler
            }
            R="\(runner)"
            \(steps)
            """)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = SmallFilesystem.unshareArguments! + ["sh", p.url("scenario.sh").path]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "RUNNER_CACHE")
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let result = p.finish(process, out, err, timeout: 400)
        try #require(result.status == 0, "scenario script: \(result.status)\n\(result.stdout)\n\(result.stderr)")
        var steps: [String: Step] = [:]
        for name in (try FileManager.default.contentsOfDirectory(atPath: p.url("results").path)) where name.hasSuffix(".status") {
            let step = String(name.dropLast(".status".count))
            steps[step] = Step(status: Int32((p.read("results/\(name)") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1,
                               stdout: p.read("results/\(step).out") ?? "", stderr: p.read("results/\(step).err") ?? "")
        }
        return steps
    }

    @Test func cacheOnAFullDiskFailsClearlyKeepsEntriesAndResumesAfterFreeingSpace() throws {
        let p = Project(); defer { p.cleanup() }
        try writeFaultProject(p)
        p.write("base.yaml", baseRecipe)
        let steps = try runScenario(p, size: "8m", leaveFree: 160, steps: """
            export RUNNER_CACHE="$PWD/small/cache"
            run base "$R" apply base.yaml
            fill
            run full "$R" apply recipe.yaml
            ls -A small/cache/tmp > results/tmp-after-full.txt
            run verify_full "$R" cache verify
            run gc_full "$R" cache gc
            find small/cache -name '.*' > results/hidden-after-gc.txt
            rm small/filler
            run again "$R" apply recipe.yaml
            run verify_again "$R" cache verify
            """)
        let base = try #require(steps["base"]), full = try #require(steps["full"])
        try #require(base.status == 0, "\(base.all)")
        #expect(full.status == 3, "a stage fails (exit 3): \(full.all)")
        #expect(full.stderr.localizedLowercase.contains("no space left on device"), "\(full.all)")
        #expect(full.stderr.contains(p.url("small/cache").path), "the error names the cache path: \(full.stderr)")
        #expect(full.stderr.contains("`runner cache gc`") && full.stderr.contains("RUNNER_CACHE"), "the error says how to fix it: \(full.stderr)")
        #expect((p.read("results/tmp-after-full.txt") ?? "?").isEmpty, "no partial build directory: \(p.read("results/tmp-after-full.txt") ?? "")")
        #expect(steps["verify_full"]?.status == 0, "existing entries still verify: \(steps["verify_full"]?.all ?? "")")
        #expect(steps["verify_full"]?.stdout.contains("all good") == true)
        #expect(steps["gc_full"]?.status == 0, "gc works on a full disk: \(steps["gc_full"]?.all ?? "")")
        #expect((p.read("results/hidden-after-gc.txt") ?? "?").isEmpty, "temporaries left: \(p.read("results/hidden-after-gc.txt") ?? "")")
        let again = try #require(steps["again"])
        #expect(again.status == 0, "after freeing space the same command completes: \(again.all)")
        #expect(again.stdout.contains("base: cached") && again.stdout.contains("quant: cached"), "\(again.stdout)")
        #expect(steps["verify_again"]?.status == 0, "\(steps["verify_again"]?.all ?? "")")
    }

    @Test func outputOnAFullDiskFailsClearlyAndIsWrittenOnceSpaceIsFreed() throws {
        let p = Project(); defer { p.cleanup() }
        try writeFaultProject(p, recipe: faultRecipe(output: "small/out"))
        let steps = try runScenario(p, size: "2m", leaveFree: 96, steps: """
            fill
            run full "$R" apply recipe.yaml
            find small/out -name '.*' ! -name .runner-files > results/hidden-after-full.txt
            rm small/filler
            run again "$R" apply recipe.yaml
            cp -R small/out out-copy
            """)
        let full = try #require(steps["full"])
        #expect(full.status == 3, "\(full.all)")
        #expect(full.stderr.contains("no space left on device while writing the output of stage `"), "\(full.all)")
        #expect(full.stderr.contains(p.root.path + "/small/out/"), "names the output path: \(full.stderr)")
        #expect((p.read("results/hidden-after-full.txt") ?? "?").isEmpty, "no temporary left in the output directory: \(p.read("results/hidden-after-full.txt") ?? "")")
        let again = try #require(steps["again"])
        #expect(again.status == 0, "\(again.all)")
        // The outputs are the cached artifacts, byte for byte (plus the list of files placed).
        let record = try p.latestRun()
        for (stage, directory) in [("adapter", "out-copy/adapter"), ("merged", "out-copy/merged")] {
            let key = try #require(record.stage(named: stage)?.key)
            let manifest = try #require(p.store.lookup(key)?.manifest)
            let copied = try RunDigests.treeDigests(p.url(directory), prefix: stage).filter { !$0.key.hasSuffix("/.runner-files") }
            let cached = Dictionary(uniqueKeysWithValues: manifest.files.map { ("\(stage)/\($0.path)", $0.sha256) })
            #expect(copied.filter { !$0.key.hasSuffix("metrics.json") } == cached.filter { !$0.key.hasSuffix("metrics.json") }, "\(stage)")
        }
        #expect(try p.run(["cache", "verify"], binary: "runner").status == 0)
    }
}
