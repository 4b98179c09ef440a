// Remote (`hf://`) inputs in the cache key: the planner pins each through the registry's resolver;
// the pin's digest, not the text, feeds the key, so a moved branch re-runs the stage (explained as
// "… changed") and two spellings of one commit share a cache entry.
import Basics
import Foundation
import Pipeline
import PipelineTestStages
import Recipe
import Testing

/// A resolver with a settable branch → commit table (no network).
private final class TableResolver: RemoteSourceResolver, @unchecked Sendable {
    private let lock = NSLock()
    private var heads: [String: String] = ["main": "c1"]

    func move(_ branch: String, to commit: String) { lock.lock(); heads[branch] = commit; lock.unlock() }

    func pin(_ source: String) throws -> PinnedRemoteSource {
        let revision = String(source.split(separator: "@").last ?? "")
        lock.lock(); defer { lock.unlock() }
        guard let commit = heads[revision] ?? (revision.hasPrefix("c") ? revision : nil) else {
            throw RunnerError(source, "no such revision", hint: "check the revision")
        }
        return PinnedRemoteSource(source: "hf://org/m@\(commit)", digest: Digest.sha256Hex("org/m \(commit)"))
    }
}

private func remoteRecipe(_ s: Scratch, revision: String) -> CompiledRecipe {
    let stages = [StageInstance(name: "base", kind: "load", params: ["dtype": .string("f32")], remoteInputs: ["path": "hf://org/m@\(revision)"])]
    return CompiledRecipe(name: "remote", version: 1, seed: 1, file: s.url("recipe.yaml"), projectDirectory: s.root, stages: stages, resolved: .map([:]))
}

@Test func remoteInputsAreKeyedByTheCommitTheyResolveTo() throws {
    let s = Scratch(); defer { s.cleanup() }
    let resolver = TableResolver()
    var registry = TestStages.registry(trace: s.trace)
    registry.remoteSources = resolver
    let executor = Executor(store: s.store, registry: registry)

    let first = try executor.apply(remoteRecipe(s, revision: "main"))
    #expect(first.status == .succeeded)
    #expect(first.stages[0].files["path"]?.path == "hf://org/m@c1")
    #expect(first.stages[0].files["path"]?.displayPath == "hf://org/m@main")
    let byCommit = try executor.plan(remoteRecipe(s, revision: "c1"))
    #expect(byCommit.stages[0].key == first.stages[0].key && byCommit.stages[0].action == .cached)
    #expect(byCommit.stages[0].instance.remoteInputs["path"] == "hf://org/m@c1")

    resolver.move("main", to: "c2")
    let moved = try executor.plan(remoteRecipe(s, revision: "main"))
    #expect(moved.stages[0].action == .run && moved.stages[0].key != first.stages[0].key)
    #expect(moved.stages[0].reasons == ["hf://org/m@main changed"])
    #expect(moved.stages[0].instance.remoteInputs["path"] == "hf://org/m@c2", "the stage reads the commit that was hashed")
}

@Test func unresolvableRemoteInputsAreDiagnostics() throws {
    let s = Scratch(); defer { s.cleanup() }
    let noResolver = try #require(throws: DiagnosticError.self) {
        try Executor(store: s.store, registry: TestStages.registry(trace: s.trace)).plan(remoteRecipe(s, revision: "main"))
    }
    #expect(noResolver.diagnostics.map(\.keyPath) == ["stages.base.path"])
    #expect(noResolver.diagnostics[0].message.contains("cannot read remote sources"))

    var registry = TestStages.registry(trace: s.trace)
    registry.remoteSources = TableResolver()
    let unknown = try #require(throws: DiagnosticError.self) { try Executor(store: s.store, registry: registry).plan(remoteRecipe(s, revision: "dev")) }
    #expect(unknown.diagnostics[0].message == "cannot resolve hf://org/m@dev: no such revision")
    #expect(unknown.diagnostics[0].hint == "check the revision")
}
