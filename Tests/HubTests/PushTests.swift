// Publishing to a Hub model repository (against the FakeHub test double) and to a local bare git
// repository: creation, one commit, only changed files, no empty commits, clear refusals.
import Basics
import Foundation
import Hub
import Testing

private let token = "hf_testTOKENpush0002"

/// An adapter-like directory: one small JSON file, one LFS-sized weights file, one nested file.
private func artifact(_ scratch: Scratch, weightsSeed: UInt64 = 1) -> URL {
    scratch.write("artifact/adapter_config.json", Data(#"{"r": 4, "lora_alpha": 8}"#.utf8))
    scratch.write("artifact/adapter_model.safetensors", testBytes(50_000, seed: weightsSeed))
    scratch.write("artifact/logs/metrics.txt", Data("loss 1.25\n".utf8))
    return scratch.url("artifact")
}

@Test func pushCreatesTheRepositoryAndCommitsOnce() throws {
    let hub = try FakeHub(token: token)
    let scratch = Scratch(); defer { scratch.cleanup() }
    let directory = artifact(scratch)
    let publisher = HubPublisher(environment: environment(hub, cache: scratch.url("hub"), token: token))
    let result = try publisher.push(directory, to: try HubRepoID("me/adapter"), branch: "main", private: true, message: "first")
    #expect(result.created)
    #expect(result.uploaded == ["adapter_config.json", "adapter_model.safetensors", "logs/metrics.txt"])
    #expect(hub.isPrivate("me/adapter") == true)
    let stored = try #require(hub.files("me/adapter"))
    #expect(stored["adapter_model.safetensors"] == testBytes(50_000, seed: 1))
    #expect(stored["logs/metrics.txt"] == Data("loss 1.25\n".utf8))
    #expect(result.commit == hub.head("me/adapter"))
    #expect(hub.log.filter { $0.path.hasPrefix("/api/models/me/adapter/commit/") }.count == 1)
    #expect(hub.log.filter { $0.method == "PUT" }.count == 1)  // the one LFS file

    // Same content again: nothing uploaded, no commit.
    let again = try publisher.push(directory, to: try HubRepoID("me/adapter"), branch: "main", private: true, message: "again")
    #expect(!again.created && again.uploaded.isEmpty && again.commit == nil)
    #expect(hub.log.filter { $0.path.contains("/commit/") }.count == 1)

    // One changed file: only it is sent.
    scratch.write("artifact/logs/metrics.txt", Data("loss 0.5\n".utf8))
    let third = try publisher.push(directory, to: try HubRepoID("me/adapter"), branch: "main", private: true, message: "update")
    #expect(third.uploaded == ["logs/metrics.txt"] && third.unchanged.count == 2)
    #expect(hub.log.filter { $0.method == "PUT" }.count == 1)
    #expect(hub.files("me/adapter")?["logs/metrics.txt"] == Data("loss 0.5\n".utf8))
}

@Test func pushToANewBranchCreatesIt() throws {
    let hub = try FakeHub(token: token)
    let scratch = Scratch(); defer { scratch.cleanup() }
    hub.seed("me/model", files: ["README.md": Data("hello\n".utf8)])
    let publisher = HubPublisher(environment: environment(hub, cache: scratch.url("hub"), token: token))
    let result = try publisher.push(artifact(scratch), to: try HubRepoID("me/model"), branch: "exp-1", private: false, message: "branch")
    #expect(result.created)
    #expect(hub.files("me/model", branch: "exp-1")?["adapter_config.json"] != nil)
    #expect(hub.files("me/model", branch: "exp-1")?["README.md"] == Data("hello\n".utf8))
    #expect(hub.files("me/model")?["adapter_config.json"] == nil)  // main untouched
}

@Test func pushWithoutOrWithABadTokenUploadsNothing() throws {
    let hub = try FakeHub(token: token)
    let scratch = Scratch(); defer { scratch.cleanup() }
    let directory = artifact(scratch)
    let anonymous = HubPublisher(environment: environment(hub, cache: scratch.url("hub"), token: nil))
    let missing = try #require(throws: RunnerError.self) {
        try anonymous.push(directory, to: try HubRepoID("me/adapter"), branch: "main", private: true, message: "x")
    }
    #expect(missing.message.contains("needs an access token") && (missing.hint ?? "").contains("HF_TOKEN"))
    #expect(hub.log.isEmpty)

    let wrong = HubPublisher(environment: environment(hub, cache: scratch.url("hub"), token: "hf_wrongPUSH999"))
    let refused = try #require(throws: RunnerError.self) {
        try wrong.push(directory, to: try HubRepoID("me/adapter"), branch: "main", private: true, message: "x")
    }
    #expect(refused.message.contains("401") && !"\(refused)".contains("hf_wrongPUSH999"))
    #expect(hub.files("me/adapter") == nil && hub.storedLFSObjects == 0)
}

// MARK: - git

private func git(_ arguments: [String], in directory: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git"] + arguments
    process.currentDirectoryURL = directory
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw RunnerError("git \(arguments.joined(separator: " "))", "failed") }
    return String(decoding: data, as: UTF8.self)
}

@Test func gitPushCommitsIntoALocalBareRepository() throws {
    let scratch = Scratch(); defer { scratch.cleanup() }
    let bare = scratch.url("remote.git")
    try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
    _ = try git(["init", "-q", "--bare", "."], in: bare)
    let directory = artifact(scratch)
    let publisher = GitPublisher()
    let first = try publisher.push(directory, to: bare.path, branch: "adapters/v1", message: "Upload with runner")
    #expect(first.created && first.uploaded == ["adapter_config.json", "adapter_model.safetensors", "logs/metrics.txt"])
    #expect(try git(["rev-parse", "refs/heads/adapters/v1"], in: bare).trimmingCharacters(in: .whitespacesAndNewlines) == first.commit)
    #expect(try git(["show", "adapters/v1:logs/metrics.txt"], in: bare) == "loss 1.25\n")
    #expect(try git(["log", "-1", "--format=%s", "adapters/v1"], in: bare) == "Upload with runner\n")

    let again = try publisher.push(directory, to: bare.path, branch: "adapters/v1", message: "again")
    #expect(again.uploaded.isEmpty && again.commit == first.commit)
    #expect(try git(["rev-list", "--count", "adapters/v1"], in: bare) == "1\n")

    scratch.write("artifact/adapter_model.safetensors", testBytes(50_000, seed: 2))
    let third = try publisher.push(directory, to: bare.path, branch: "adapters/v1", message: "retrain")
    #expect(third.uploaded == ["adapter_model.safetensors"] && !third.created)
    #expect(try git(["rev-list", "--count", "adapters/v1"], in: bare) == "2\n")
}

@Test func gitPushRefusesBadBranchesAndMissingRemotes() throws {
    let scratch = Scratch(); defer { scratch.cleanup() }
    let directory = artifact(scratch)
    let badBranch = try #require(throws: RunnerError.self) {
        try GitPublisher().push(directory, to: scratch.url("x.git").path, branch: "bad..branch", message: "m")
    }
    #expect(badBranch.message.contains("not a valid git branch name"))
    let missing = try #require(throws: RunnerError.self) {
        try GitPublisher().push(directory, to: scratch.url("missing.git").path, branch: "main", message: "m")
    }
    #expect(missing.message.contains("git ls-remote failed"))
    let withCredentials = try #require(throws: RunnerError.self) {
        try GitPublisher().push(directory, to: "http://user:s3cretPW@127.0.0.1:9/repo.git", branch: "main", message: "m")
    }
    #expect(!"\(withCredentials)".contains("s3cretPW"))
}
