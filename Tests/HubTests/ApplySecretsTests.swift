// `runner apply` end to end against the FakeHub test double: a recipe loads `hf://org/tiny` (a
// tiny random Llama) and pushes the loaded model to `hf://me/tiny-copy`. The token must appear
// in no file runner writes (run records, logs, manifests, cache, HF cache) and in no output; the
// cache key follows the commit the revision points at.
import Foundation
import Hub
import RunnerTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

private let secret = "hf_e2eSECRETtoken4242xyz"
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let tinyModel = TinyModelFixture.directory

/// Where SwiftPM put the `runner` executable (next to the test bundle).
private let runnerExecutable: URL = {
    var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("runner").path), dir.path != "/" { dir = dir.deletingLastPathComponent() }
    return dir.appendingPathComponent("runner")
}()

private struct Result { var status: Int32; var output: String }

private func runner(_ arguments: [String], in directory: URL, hub: FakeHub, timeout: Double = 120) throws -> Result {
    let process = Process()
    process.executableURL = runnerExecutable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "RUNNER_CACHE")
    environment.removeValue(forKey: "HF_HUB_OFFLINE")
    environment["HF_HOME"] = directory.appendingPathComponent("hf").path
    environment["HF_ENDPOINT"] = hub.endpoint.absoluteString
    environment["HF_TOKEN"] = secret
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    nonisolated(unsafe) var data = Data()
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async { data = output.fileHandleForReading.readDataToEndOfFile(); done.signal() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    done.wait()
    return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// Every regular file under `root` whose bytes (or name) contain `needle`.
private func filesContaining(_ needle: String, under root: URL) -> [String] {
    let bytes = Data(needle.utf8)
    guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
    var hits: [String] = []
    var scanned = 0
    while let relative = walker.nextObject() as? String {
        if relative.contains(needle) { hits.append(relative) }
        guard let type = walker.fileAttributes?[.type] as? FileAttributeType, type == .typeRegular,
              let data = FileManager.default.contents(atPath: root.appendingPathComponent(relative).path) else { continue }
        scanned += 1
        if data.range(of: bytes) != nil { hits.append(relative) }
    }
    return scanned > 0 ? hits : ["(nothing scanned)"]
}

@Test func applyLoadsFromAndPushesToTheHubWithoutLeakingTheToken() throws {
    let hub = try FakeHub(token: secret)
    let scratch = Scratch(); defer { scratch.cleanup() }
    var files: [String: Data] = ["tokenizer.json": try TinyModelFixture.byteTokenizerJSON(), "README.md": Data("# tiny\n".utf8)]
    for name in ["config.json", "model.safetensors"] { files[name] = try Data(contentsOf: tinyModel.appendingPathComponent(name)) }
    let firstCommit = hub.seed("org/tiny", files: files)
    scratch.write("recipe.yaml", Data("""
        version: 1
        name: hub-roundtrip
        stages:
          base: {kind: load, path: "hf://org/tiny"}
          publish: {kind: push, from: base, repo: "hf://me/tiny-copy", commit_message: "runner e2e"}
        """.utf8))

    let first = try runner(["apply", "recipe.yaml"], in: scratch.root, hub: hub)
    #expect(first.status == 0, "\(first.output)")
    let pushed = try #require(hub.files("me/tiny-copy"), "\(first.output)")
    #expect(pushed["config.json"] != nil && pushed["model.safetensors"] != nil && pushed["tokenizer.json"] != nil)
    #expect(hub.isPrivate("me/tiny-copy") == true)
    let snapshot = scratch.url("hf/hub/models--org--tiny/snapshots/\(firstCommit)/model.safetensors")
    #expect(try Data(contentsOf: snapshot) == files["model.safetensors"])

    // Second apply: everything cached, no second commit.
    let second = try runner(["apply", "recipe.yaml"], in: scratch.root, hub: hub)
    #expect(second.status == 0, "\(second.output)")
    #expect(hub.log.filter { $0.path.contains("/commit/") }.count == 1)

    // main moves (README only): `load` re-runs because the commit changed; the model is the same,
    // so `push` re-runs but commits nothing.
    hub.seed("org/tiny", files: ["README.md": Data("# tiny v2\n".utf8)])
    let plan = try runner(["plan", "recipe.yaml"], in: scratch.root, hub: hub)
    #expect(plan.output.contains("hf://org/tiny changed"), "\(plan.output)")
    let third = try runner(["apply", "recipe.yaml"], in: scratch.root, hub: hub)
    #expect(third.status == 0, "\(third.output)")
    #expect(hub.log.filter { $0.path.contains("/commit/") }.count == 1)

    // A push the Hub refuses (the test double echoes our token in its 401 body): the error is clear
    // and redacted. Pinned to the first commit, `load` needs no network and is a cache hit.
    scratch.write("bad.yaml", Data("""
        version: 1
        name: hub-refused
        stages:
          base: {kind: load, path: "hf://org/tiny@\(firstCommit)"}
          publish: {kind: push, from: base, repo: "hf://me/other", commit_message: "nope"}
        """.utf8))
    let refusing = try FakeHub(token: "hf_someoneELSE")  // knows no token of ours: every request is 401
    let refused = try runner(["apply", "bad.yaml"], in: scratch.root, hub: refusing)
    #expect(refused.status != 0)
    #expect(refused.output.contains("401") && refused.output.contains("HF_TOKEN"), "\(refused.output)")
    #expect(refused.output.contains("CACHED") || refused.output.contains("cached"), "\(refused.output)")

    // Bad names fail clearly: a push target at run time, a load source at plan time (with its line).
    scratch.write("badname.yaml", Data("""
        version: 1
        name: hub-bad-name
        stages:
          base: {kind: load, path: "hf://org/tiny@\(firstCommit)"}
          publish: {kind: push, from: base, repo: "hf://me/bad--name"}
        """.utf8))
    let badName = try runner(["apply", "badname.yaml"], in: scratch.root, hub: hub)
    #expect(badName.status != 0 && badName.output.contains("`--` and `..` are not allowed"), "\(badName.output)")
    scratch.write("badsource.yaml", Data("""
        version: 1
        name: hub-bad-source
        stages:
          base: {kind: load, path: "hf://org/tiny/weights.bin"}
        """.utf8))
    let badSource = try runner(["plan", "badsource.yaml"], in: scratch.root, hub: hub)
    #expect(badSource.status != 0 && badSource.output.contains("badsource.yaml:4") && badSource.output.contains("must be a `.gguf` file"),
            "\(badSource.output)")

    for result in [first, second, plan, third, refused, badName, badSource] { #expect(!result.output.contains(secret)) }
    #expect(filesContaining(secret, under: scratch.root) == [])
}
