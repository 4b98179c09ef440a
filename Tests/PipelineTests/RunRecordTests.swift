// Run records: git commit and dirty flag of the recipe's repository, the resolved recipe, and
// lookup by id prefix / latest~N.
import Foundation
import Pipeline
import PipelineTestStages
import Recipe
import Testing

private func git(_ arguments: [String], in dir: URL) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
}

@Test func runRecordCarriesGitStateAndResolvedRecipe() throws {
    let s = Scratch(); defer { s.cleanup() }
    s.write(".gitignore", ".runner/\nout/\n")
    s.write("spine.yaml", "name: spine\n")
    try git(["init", "-q"], in: s.root)
    try git(["add", "-A"], in: s.root)
    try git(["commit", "-qm", "init"], in: s.root)

    let clean = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s))
    let commit = try #require(clean.git?.commit)
    #expect(commit.count == 40)
    #expect(clean.git?.dirty == false)
    #expect(clean.resolved == .object(["name": .string("spine")]))

    s.write("spine.yaml", "name: spine # edited\n")
    let dirty = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s))
    #expect(dirty.git?.commit == commit && dirty.git?.dirty == true)

    let runs = RunStore(directory: s.store.runs)
    #expect(try runs.resolve("latest").id == dirty.id)
    #expect(try runs.resolve("latest~1").id == clean.id)
    #expect(try runs.resolve(clean.id).id == clean.id)
    #expect(throws: (any Error).self) { try runs.resolve("latest~2") }
}

@Test func outsideAGitRepositoryThereIsNoGitState() throws {
    let s = Scratch(); defer { s.cleanup() }
    let record = try Executor(store: s.store, registry: TestStages.registry()).apply(spineRecipe(in: s))
    #expect(record.git == nil || FileManager.default.fileExists(atPath: "/tmp/.git"))
}

@Test func stageWritingASymlinkFailsCleanly() throws {
    struct LinkStage: StageImplementation {
        static let kind = "concat"
        static let version = 1
        func run(_ context: StageContext) throws -> StageResult {
            try FileManager.default.createSymbolicLink(atPath: context.outputDirectory.appendingPathComponent("out.txt").path, withDestinationPath: "/etc/hostname")
            return StageResult()
        }
    }
    let s = Scratch(); defer { s.cleanup() }
    let record = try Executor(store: s.store, registry: StageRegistry([LinkStage(), SlowStage()])).apply(spineRecipe(in: s))
    #expect(record.status == .failed)
    #expect(record.error?.contains("symbolic link") == true)
}
