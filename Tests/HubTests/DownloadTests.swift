// Downloads through the Hub API into the huggingface_hub cache layout (against the FakeHub test
// double): selection, symlinks, refs, offline use, resume with Range, and that a corrupt or
// truncated download is never used.
import Basics
import Foundation
import Hub
import Testing

private let token = "hf_testTOKENdownload0001"

/// Most tests' setting: a FakeHub (accepting `token`) holding the tiny repository as `org/tiny`,
/// and a scratch directory whose `hub/` is the HF cache.
private struct TinyRepoHub {
    let hub: FakeHub
    let scratch: Scratch
    let files = tinyRepoFiles()
    let commit: String

    init(_ name: String = #function) throws {
        hub = try FakeHub(token: token)
        scratch = Scratch(name)
        commit = hub.seed("org/tiny", files: files)
    }

    var cache: URL { scratch.url("hub") }

    /// A downloader into `cache` presenting `token`.
    func downloader(token presented: String? = token) -> HubDownloader {
        HubDownloader(environment: environment(hub, cache: cache, token: presented))
    }
}

@Test func downloadsModelFilesIntoTheHFCacheLayout() throws {
    let hub = try FakeHub(token: token)
    let scratch = Scratch(); defer { scratch.cleanup() }
    let files = tinyRepoFiles()
    let commit = hub.seed("org/tiny", files: files)
    let cache = scratch.url("hf/hub")
    let snapshot = try HubDownloader(environment: environment(hub, cache: cache, token: token)).fetch(try HubSource(parsing: "hf://org/tiny"))

    let repoDir = cache.appendingPathComponent("models--org--tiny")
    #expect(snapshot.path == repoDir.appendingPathComponent("snapshots/\(commit)").path)
    #expect(try String(contentsOf: repoDir.appendingPathComponent("refs/main"), encoding: .utf8) == commit)
    let names = try FileManager.default.contentsOfDirectory(atPath: snapshot.path).sorted()
    #expect(names == ["config.json", "model.safetensors", "tokenizer.json"])  // README and the GGUF are not model files
    let fm = FileManager.default
    #expect(try fm.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("model.safetensors").path)
            == "../../blobs/\(ContentHash.sha256(files["model.safetensors"]!))")
    #expect(try fm.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("config.json").path)
            == "../../blobs/\(ContentHash.gitBlobID(files["config.json"]!))")
    for name in names { #expect(try Data(contentsOf: snapshot.appendingPathComponent(name)) == files[name]) }
    #expect(regularFiles(under: repoDir).allSatisfy { $0.hasPrefix("blobs/") || $0.hasPrefix("refs/") })
    #expect(!regularFiles(under: repoDir).contains { $0.hasSuffix(".incomplete") })

    // A second fetch downloads nothing.
    let before = hub.log.filter { $0.path.contains("/resolve/") }.count
    _ = try HubDownloader(environment: environment(hub, cache: cache, token: token)).fetch(try HubSource(parsing: "hf://org/tiny"))
    #expect(hub.log.filter { $0.path.contains("/resolve/") }.count == before)
}

@Test func downloadsANamedGGUFFile() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let downloader = repo.downloader()
    let file = try downloader.fetch(try HubSource(parsing: "hf://org/tiny/tiny.Q8_0.gguf"))
    #expect(file.lastPathComponent == "tiny.Q8_0.gguf")
    #expect(try Data(contentsOf: file) == repo.files["tiny.Q8_0.gguf"])
    let missing = try #require(throws: RunnerError.self) { try downloader.fetch(try HubSource(parsing: "hf://org/tiny/other.gguf")) }
    #expect(missing.message.contains("no file `other.gguf`") && (missing.hint ?? "").contains("tiny.Q8_0.gguf"))
}

@Test func offlineResolvesFromTheCacheOnly() throws {
    let scratch = Scratch(); defer { scratch.cleanup() }
    let cache = scratch.url("hub")
    var commit = ""
    do {
        let hub = try FakeHub(token: token)
        commit = hub.seed("org/tiny", files: tinyRepoFiles())
        _ = try HubDownloader(environment: environment(hub, cache: cache, token: token)).fetch(try HubSource(parsing: "hf://org/tiny"))
    }
    // No server now: offline mode must not need one.
    let offline = HubDownloader(environment: environment(nil, cache: cache, token: nil, offline: true))
    #expect(try offline.resolveCommit(try HubSource(parsing: "hf://org/tiny")) == commit)
    let snapshot = try offline.fetch(try HubSource(parsing: "hf://org/tiny@main"))
    #expect(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("model.safetensors").path))
    #expect(try offline.fetch(try HubSource(parsing: "hf://org/tiny@\(commit)")) == snapshot)
    let error = try #require(throws: RunnerError.self) { try offline.resolveCommit(try HubSource(parsing: "hf://org/tiny@dev")) }
    #expect(error.message.contains("HF_HUB_OFFLINE") && error.message.contains("not in the local cache"))
    // Online but unreachable: falls back to the cached ref, as huggingface_hub does.
    let unreachable = HubDownloader(environment: environment(nil, cache: cache, token: nil))
    #expect(try unreachable.resolveCommit(try HubSource(parsing: "hf://org/tiny")) == commit)
}

@Test func resumesAHalfDownloadedFileWithRange() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let weights = repo.files["model.safetensors"]!
    let blob = repo.cache.appendingPathComponent("models--org--tiny/blobs/\(ContentHash.sha256(weights))")
    repo.scratch.write("hub/models--org--tiny/blobs/\(blob.lastPathComponent).incomplete", weights.prefix(123_456))
    let snapshot = try repo.downloader().fetch(try HubSource(parsing: "hf://org/tiny"))
    #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == weights)
    #expect(repo.hub.log.contains { $0.path.hasSuffix("/model.safetensors") && $0.range == "bytes=123456-" })
    #expect(!FileManager.default.fileExists(atPath: blob.path + ".incomplete"))
}

@Test func aTruncatedDownloadIsKeptForResumeButNeverUsed() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let (hub, files, cache, downloader) = (repo.hub, repo.files, repo.cache, repo.downloader())
    hub.truncateDownloadsAt = 100_000
    #expect(throws: RunnerError.self) { try downloader.fetch(try HubSource(parsing: "hf://org/tiny")) }
    let blob = cache.appendingPathComponent("models--org--tiny/blobs/\(ContentHash.sha256(files["model.safetensors"]!))")
    #expect(!FileManager.default.fileExists(atPath: blob.path))
    let partial = (try? FileManager.default.attributesOfItem(atPath: blob.path + ".incomplete")[.size] as? Int) ?? nil
    #expect(partial != nil && partial! > 0 && partial! < files["model.safetensors"]!.count)

    hub.truncateDownloadsAt = nil
    let snapshot = try downloader.fetch(try HubSource(parsing: "hf://org/tiny"))
    #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == files["model.safetensors"])
    #expect(hub.log.contains { $0.path.hasSuffix("/model.safetensors") && $0.range == "bytes=\(partial ?? -1)-" })
}

@Test func corruptDownloadsAreDiscarded() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let (hub, files, cache, downloader) = (repo.hub, repo.files, repo.cache, repo.downloader())
    let weights = files["model.safetensors"]!
    let blob = cache.appendingPathComponent("models--org--tiny/blobs/\(ContentHash.sha256(weights))")

    hub.tamperedFiles = ["model.safetensors": testBytes(weights.count, seed: 99)]  // same size, other bytes
    let hashError = try #require(throws: RunnerError.self) { try downloader.fetch(try HubSource(parsing: "hf://org/tiny")) }
    #expect(hashError.message.contains("sha256 mismatch") && hashError.message.contains("discarded"))
    hub.tamperedFiles = ["model.safetensors": weights + Data([1, 2, 3])]  // too long
    let sizeError = try #require(throws: RunnerError.self) { try downloader.fetch(try HubSource(parsing: "hf://org/tiny")) }
    #expect(sizeError.message.contains("size mismatch"))
    #expect(!FileManager.default.fileExists(atPath: blob.path))
    #expect(!FileManager.default.fileExists(atPath: blob.path + ".incomplete"))
    let linked = (try? FileManager.default.subpathsOfDirectory(atPath: cache.appendingPathComponent("models--org--tiny/snapshots").path)) ?? []
    #expect(!linked.contains { $0.hasSuffix("model.safetensors") })

    // A regular (non-LFS) file is checked against its git blob id; use a fresh cache.
    let freshCache = repo.scratch.url("hub2")
    hub.tamperedFiles = ["config.json": Data(#"{"architectures": ["EvilaForCausalLM"], "hidden_size": 8}"#.utf8)]  // same size
    let fresh = HubDownloader(environment: environment(hub, cache: freshCache, token: token))
    let blobError = try #require(throws: RunnerError.self) { try fresh.fetch(try HubSource(parsing: "hf://org/tiny")) }
    #expect(blobError.message.contains("git blob sha1 mismatch"))
    let freshLinks = (try? FileManager.default.subpathsOfDirectory(atPath: freshCache.appendingPathComponent("models--org--tiny/snapshots").path)) ?? []
    #expect(!freshLinks.contains { $0.hasSuffix("config.json") })
}

@Test func missingTokenAndUnknownRepositoryGiveClearErrors() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let anonymous = repo.downloader(token: nil)
    let unauthorized = try #require(throws: RunnerError.self) { try anonymous.fetch(try HubSource(parsing: "hf://org/tiny")) }
    #expect(unauthorized.message.contains("401") && (unauthorized.hint ?? "").contains("HF_TOKEN"))
    let wrong = repo.downloader(token: "hf_wrongWRONG777")
    let rejected = try #require(throws: RunnerError.self) { try wrong.fetch(try HubSource(parsing: "hf://org/tiny")) }
    #expect(!"\(rejected)".contains("hf_wrongWRONG777"))  // the test double echoes it; runner must not
    #expect(rejected.message.contains("***"))
    let authorized = repo.downloader()
    let unknown = try #require(throws: RunnerError.self) { try authorized.fetch(try HubSource(parsing: "hf://org/nothing")) }
    #expect(unknown.message.contains("404"))
    let noRevision = try #require(throws: RunnerError.self) { try authorized.fetch(try HubSource(parsing: "hf://org/tiny@nope")) }
    #expect((noRevision.hint ?? "").contains("revision"))
}

@Test func redirectsToAnotherHostNeverCarryTheToken() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let files = repo.files
    // A "CDN" on another port (another authority): serves LFS objects by sha256, records auth headers.
    let objects = Dictionary(uniqueKeysWithValues: files.values.map { (ContentHash.sha256($0), $0) })
    let seen = Locked<[String?]>([])
    let cdn = try HTTPTestServer { request in
        seen.mutate { $0.append(request.headers["authorization"]) }
        guard let data = objects[String(request.path.dropFirst())] else { return TestHTTPResponse(status: 404) }
        return TestHTTPResponse(status: 200, body: data)
    }
    defer { cdn.stop() }
    repo.hub.lfsRedirectBase = cdn.endpoint
    let snapshot = try repo.downloader().fetch(try HubSource(parsing: "hf://org/tiny"))
    #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == files["model.safetensors"])
    #expect(seen.value.count == 1)
    #expect(seen.value.allSatisfy { $0 == nil }, "the token must not follow a redirect to another host")
}

@Test func cancellingStopsTheDownloadAndResumesLater() throws {
    let repo = try TinyRepoHub(); defer { repo.scratch.cleanup() }
    let (files, downloader) = (repo.files, repo.downloader())
    let polls = Locked(0)
    let error = try #require(throws: RunnerError.self) {
        try downloader.fetch(try HubSource(parsing: "hf://org/tiny"), isCancelled: { polls.mutate { $0 += 1 }; return polls.value >= 4 })
    }
    #expect(error.message == "cancelled")
    let weights = repo.cache.appendingPathComponent("models--org--tiny/blobs/\(ContentHash.sha256(files["model.safetensors"]!))")
    #expect(!FileManager.default.fileExists(atPath: weights.path))
    let snapshot = try downloader.fetch(try HubSource(parsing: "hf://org/tiny"))
    #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == files["model.safetensors"])
}

@Test func shardedModelsNeedEveryShardOffline() throws {
    let hub = try FakeHub(token: token)
    let scratch = Scratch(); defer { scratch.cleanup() }
    let index = Data(#"{"metadata": {}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}}"#.utf8)
    let files: [String: Data] = ["config.json": Data("{}".utf8), "model.safetensors.index.json": index,
                                 "model-00001-of-00002.safetensors": testBytes(1000, seed: 3), "model-00002-of-00002.safetensors": testBytes(1000, seed: 4)]
    hub.seed("org/sharded", files: files)
    let cache = scratch.url("hub")
    let snapshot = try HubDownloader(environment: environment(hub, cache: cache, token: token)).fetch(try HubSource(parsing: "hf://org/sharded"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: snapshot.path).sorted() == files.keys.sorted())

    try FileManager.default.removeItem(at: snapshot.appendingPathComponent("model-00002-of-00002.safetensors"))
    let offline = HubDownloader(environment: environment(nil, cache: cache, token: nil, offline: true))
    let error = try #require(throws: RunnerError.self) { try offline.fetch(try HubSource(parsing: "hf://org/sharded")) }
    #expect(error.message.contains("missing model-00002-of-00002.safetensors") && (error.hint ?? "").contains("HF_HUB_OFFLINE"))
}
