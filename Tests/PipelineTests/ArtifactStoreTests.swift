// The content-addressed store: publish is all-or-nothing, reads check cheaply, verify checks every
// byte and removes bad entries, gc keeps referenced and in-use entries.
import Basics
import Foundation
import Pipeline
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func publishEntry(_ store: ArtifactStore, key: String, files: [String: String], stage: String = "s") throws -> Artifact {
    let lock = try #require(try store.lockForBuild(key, blocking: true))
    defer { lock.release() }
    let dir = try store.makeBuildDirectory(for: key)
    for (path, text) in files {
        let url = dir.appendingPathComponent("data").appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    let manifest = ArtifactManifest(format: 1, key: key, keyScheme: CacheKey.scheme, stageName: stage, kind: "concat", implementationVersion: 1,
                                    params: "{}", inputKeys: [:], inputFiles: [:], files: try store.describeFiles(in: dir), primaryFile: nil,
                                    toolVersion: RunnerVersion.current, createdAt: Timestamp.iso(Date()), seconds: 0, metrics: [:])
    return try store.publish(dir, manifest: manifest)
}

private let keyA = String(repeating: "a", count: 64)
private let keyB = String(repeating: "b", count: 64)

@Test func publishedEntryIsFoundWithItsFiles() throws {
    let s = Scratch(); defer { s.cleanup() }
    let store = s.store
    try store.prepare()
    #expect(store.lookup(keyA) == nil)
    let artifact = try publishEntry(store, key: keyA, files: ["x.txt": "hello", "sub/y.txt": "world!"])
    #expect(artifact.manifest.files.map(\.path) == ["sub/y.txt", "x.txt"])
    #expect(artifact.manifest.totalSize == 11)
    #expect(try String(contentsOf: artifact.data.appendingPathComponent("x.txt"), encoding: .utf8) == "hello")
    #expect(store.lookup(keyA)?.manifest.key == keyA)
    #expect(try FileManager.default.contentsOfDirectory(atPath: store.temporary.path).isEmpty)
}

@Test func entryWithoutManifestOrWithATruncatedFileIsNeverUsed() throws {
    let s = Scratch(); defer { s.cleanup() }
    let store = s.store
    try store.prepare()
    // A directory that looks like an entry but has no manifest (what a non-atomic writer could leave).
    try FileManager.default.createDirectory(at: store.entry(keyB).appendingPathComponent("data"), withIntermediateDirectories: true)
    #expect(store.lookup(keyB) == nil)

    let artifact = try publishEntry(store, key: keyA, files: ["x.txt": "hello"])
    let file = artifact.data.appendingPathComponent("x.txt")
    chmod(file.path, 0o644)
    try Data("hel".utf8).write(to: file)
    #expect(store.lookup(keyA) == nil)
}

@Test func verifyFindsChangedBytesAndRemovesTheEntry() throws {
    let s = Scratch(); defer { s.cleanup() }
    let store = s.store
    try store.prepare()
    let good = try publishEntry(store, key: keyA, files: ["x.txt": "hello"])
    let bad = try publishEntry(store, key: keyB, files: ["x.txt": "world"])
    let file = bad.data.appendingPathComponent("x.txt")
    chmod(file.path, 0o644)
    try Data("WORLD".utf8).write(to: file)  // same size: only the digest catches it
    #expect(store.lookup(keyB) != nil)

    let dry = store.verify(dryRun: true)
    #expect(dry.checked == 2 && dry.problems.map(\.key) == [keyB] && !dry.problems[0].removed)
    #expect(dry.problems[0].problem.contains("SHA-256 mismatch"))

    let real = store.verify(dryRun: false)
    #expect(real.problems.map(\.removed) == [true])
    #expect(store.lookup(keyB) == nil)
    #expect(store.lookup(good.key) != nil)
    #expect(store.verify(dryRun: true).problems.isEmpty)
}

@Test func gcKeepsReferencedAndInUseEntriesAndRespectsMaxSize() throws {
    let s = Scratch(); defer { s.cleanup() }
    let store = s.store
    try store.prepare()
    let keyC = String(repeating: "c", count: 64), keyD = String(repeating: "d", count: 64)
    for key in [keyA, keyB, keyC, keyD] { _ = try publishEntry(store, key: key, files: ["f": String(repeating: "z", count: 100)]) }
    let inUse = try #require(try store.lockForUse(keyC))
    // A stale build directory from a killed run.
    try FileManager.default.createDirectory(at: store.temporary.appendingPathComponent("\(keyD)-999-1/data"), withIntermediateDirectories: true)

    // With a size cap of 300 bytes, only one unreferenced entry has to go: the least recently used (B before D).
    let capped = store.collectGarbage(keep: [keyA], lastUsed: [keyB: "2026-01-01", keyD: "2026-06-01"], maxSize: 300)
    #expect(capped.removed == [keyB])
    #expect(capped.sweptTemporaries == 1)

    let full = store.collectGarbage(keep: [keyA], lastUsed: [:], maxSize: nil)
    #expect(full.removed == [keyD])
    #expect(full.skippedInUse == [keyC])
    #expect(store.lookup(keyA) != nil && store.lookup(keyC) != nil)
    inUse.release()
    #expect(store.collectGarbage(keep: [keyA], lastUsed: [:], maxSize: nil).removed == [keyC])
}
