// Shared by the fault-injection, concurrency and disk-full tests: a tiny real fine-tuning project
// (load → quantize → lora → dataset → train with checkpoints → save + merge), a seeded random
// source whose seed is reported so a failure can be replayed, and digests of what a run produced.
import Basics
import Foundation
import Pipeline
import RunnerTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The pipeline the fault tests kill: every stage kind that writes big files, a checkpoint every 2
/// of 10 steps, two materialized outputs. `rank` varies the recipe for the concurrency tests.
func faultRecipe(name: String = "tiny-faults", rank: Int = 4, output: String = "out") -> String {
    """
    version: 1
    name: \(name)
    seed: 3
    stages:
      base: {kind: load, path: model, dtype: f32}
      quant: {kind: quantize, from: base}
      adapters: {kind: lora, from: quant, r: \(rank), alpha: 8, dropout: 0.1}
      data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 48}
      tune: {kind: train, model: adapters, data: data, max_steps: 10, batch_size: 2, learning_rate: 0.005, save_every: 2}
      adapter: {kind: save, from: tune, path: \(output)/adapter}
      merged: {kind: merge, adapter: tune, base: quant, path: \(output)/merged}
    """
}

/// Writes the tiny model (with a byte tokenizer), the training data and `recipe.yaml`.
func writeFaultProject(_ p: Project, recipe: String = faultRecipe()) throws {
    p.write("recipe.yaml", recipe)
    try TinyModelFixture.writeModel(to: p.url("model"))
    p.write("data.jsonl", TinyModelFixture.colorsJSONL(sayRepeats: 2))
}

/// The seed from `variable` (to replay a failure), else a fresh one.
func testSeed(_ variable: String) -> UInt64 {
    if let text = ProcessInfo.processInfo.environment[variable], let seed = UInt64(text) { return seed }
    return UInt64.random(in: 1 ... UInt64(UInt32.max))
}

/// What a successful run produced: every stage's key and file digests (from the cache manifests)
/// and every materialized output file's SHA-256, by path relative to the project.
struct RunDigests: Equatable, CustomStringConvertible {
    var stages: [String: [String: String]] = [:]  // stage name → (file → sha256), with "#key"
    var outputs: [String: String] = [:]

    var description: String {
        (stages.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.count - 1) files, key \($0.value["#key"]?.prefix(12) ?? "?")" }
            + outputs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.prefix(12))" }).joined(separator: "\n")
    }

    /// Reads them for the latest run (which must have succeeded) from the cache at `store`.
    static func of(_ p: Project, store: ArtifactStore? = nil, outputRoots: [String] = ["out"]) throws -> RunDigests {
        let store = store ?? p.store
        let record = try RunStore(directory: store.runs).resolve("latest")
        var digests = RunDigests()
        for stage in record.stages {
            let artifact = try #require(store.lookup(stage.key), "stage \(stage.name) has no cache entry")
            var files = Dictionary(uniqueKeysWithValues: artifact.manifest.files.map { ($0.path, $0.sha256) })
            if files["metrics.json"] != nil { files["metrics.json"] = try timelessDigest(artifact.data.appendingPathComponent("metrics.json")) }
            files["#key"] = stage.key
            digests.stages[stage.name] = files
        }
        for root in outputRoots { digests.outputs.merge(try treeDigests(p.url(root), prefix: root)) { a, _ in a } }
        return digests
    }

    /// SHA-256 of every regular file under `directory` (temporaries of a killed run included, so
    /// leftovers show up as a difference).
    static func treeDigests(_ directory: URL, prefix: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for relative in regularFiles(under: directory) {
            let url = directory.appendingPathComponent(relative)
            out[prefix + "/" + relative] = relative.hasSuffix("metrics.json") ? try timelessDigest(url) : try Digest.sha256Hex(fileAt: url)
        }
        return out
    }

    /// Paths (relative to `directory`) of the regular files under it, sorted.
    static func regularFiles(under directory: URL) -> [String] {
        var files: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        while let relative = walker.nextObject() as? String {
            var st = stat()
            if lstat(directory.path + "/" + relative, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { files.append(relative) }
        }
        return files.sorted()
    }

    /// Training's metrics.json records its wall time (`seconds`): digest everything else (the
    /// losses, learning rates and gradient norms of every step, bit for bit as printed).
    static func timelessDigest(_ url: URL) throws -> String {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json.removeValue(forKey: "seconds")
        return Digest.sha256Hex(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
    }
}

extension Project {
    /// Starts `runner` with extra environment variables (e.g. a fail point).
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let (process, out, err) = self.process(arguments, binary: "runner")
        for (name, value) in extra { process.environment?[name] = value }
        try process.run()
        return (process, out, err)
    }

    /// Every file or directory under the cache whose name marks a temporary (build directories,
    /// atomic-write and checkpoint temporaries): what `cache gc` must be able to remove.
    func cacheTemporaries(_ store: ArtifactStore? = nil) -> [String] {
        let root = (store ?? self.store).root
        var found: [String] = []
        let tmp = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path)) ?? []
        found += tmp.map { "tmp/" + $0 }
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.contains(".tmp-") || name.hasPrefix(".trash-") { found.append(relative) }
            }
        }
        return found
    }
}
