// The `push` stage: publishes its input artifact (a model, an adapter, or a GGUF file) to a Hub
// model repository (`hf://org/name`, one commit, only changed files) or to any git remote (URL or
// local path), and records where it went in `published.json`. The token never enters the record.
import Basics
import Foundation
import Hub
import Pipeline

struct PushStage: StageImplementation {
    static let kind = "push"
    static let version = 1
    static let recordFile = "published.json"

    func run(_ context: StageContext) throws -> StageResult {
        let from = try context.input("from")
        let repo = try context.string("repo")
        let branch = try context.string("branch")
        let message = try context.string("commit_message")
        let keyPath = "stage `\(context.stage.name)`"
        do { try GitRefName.validateBranch(branch) } catch let error as RunnerError {
            throw RunnerError("\(keyPath): branch", error.message, hint: "e.g. main")
        }
        // A GGUF artifact publishes its one file; anything else, its whole directory.
        let content = from.primaryFile.flatMap { $0.pathExtension == "gguf" ? $0 : nil } ?? from.directory
        let result: PublishResult
        if repo.hasPrefix(HubSource.scheme) {
            let id = try hubRepository(repo, keyPath: keyPath)
            context.log("pushing `\(from.stageName)` to \(repo) (\(branch))")
            result = try HubPublisher(environment: .current()).push(content, to: id, branch: branch, private: try context.bool("private"),
                                                                    message: message, log: context.log)
        } else {
            let remote = GitPublisher.isRemoteURL(repo) ? repo
                : URL(fileURLWithPath: (repo as NSString).expandingTildeInPath, relativeTo: context.projectDirectory).standardizedFileURL.path
            context.log("pushing `\(from.stageName)` to git remote \(Redactor(token: nil).redact(repo)) (\(branch))")
            result = try GitPublisher().push(content, to: remote, branch: branch, message: message, log: context.log)
        }
        try writeRecord(result, source: from, to: context.outputDirectory)
        return StageResult(metrics: ["files_uploaded": Double(result.uploaded.count), "files_unchanged": Double(result.unchanged.count)],
                           primaryFile: Self.recordFile)
    }

    private func hubRepository(_ text: String, keyPath: String) throws -> HubRepoID {
        let name = String(text.dropFirst(HubSource.scheme.count))
        if name.contains("@") {
            throw RunnerError("\(keyPath): repo", "`\(text)`: a push target takes no `@revision`", hint: "set `branch:` instead")
        }
        do { return try HubRepoID(name) } catch let error as RunnerError {
            throw RunnerError("\(keyPath): repo", "`\(text)`: \(error.message)", hint: error.hint ?? "write hf://org/name")
        }
    }

    /// `published.json`: destination, branch, commit and file lists (what a later `runs show` reads).
    private func writeRecord(_ result: PublishResult, source: InputArtifact, to directory: URL) throws {
        let record: [String: Any] = [
            "destination": result.destination, "branch": result.branch, "commit": result.commit ?? NSNull(),
            "uploaded": result.uploaded, "unchanged": result.unchanged, "created": result.created,
            "source_stage": source.stageName, "source_key": source.key,
        ]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .prettyPrinted])
        try AtomicFile.write(data + Data("\n".utf8), to: directory.appendingPathComponent(Self.recordFile))
    }
}
