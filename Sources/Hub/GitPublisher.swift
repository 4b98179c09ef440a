// Publishes a directory to any git remote (URL or local path, e.g. a bare repository) with the
// `git` command: fetch the branch into a scratch clone, copy the files over it, commit, push.
// Files already on the branch stay; a push without changes makes no commit.
import Basics
import Foundation

public struct GitPublisher: Sendable {
    /// The `git` executable (found on PATH when nil).
    public var gitPath: String?

    public init(gitPath: String? = nil) { self.gitPath = gitPath }

    /// Whether `text` names a git remote rather than a local path: a URL (`scheme://`) or scp-like
    /// `user@host:path`.
    public static func isRemoteURL(_ text: String) -> Bool {
        if text.contains("://") { return true }
        guard let colon = text.firstIndex(of: ":"), !text.hasPrefix("/"), !text.hasPrefix(".") else { return false }
        return !text[..<colon].contains("/")
    }

    /// Pushes every file under `directory` (or the single file) to `branch` of `remote`.
    /// - Throws: `RunnerError` with git's own message (URL credentials redacted).
    public func push(_ directory: URL, to remote: String, branch: String, message: String, log: (String) -> Void = { _ in }) throws -> PublishResult {
        try GitRefName.validateBranch(branch)
        let shown = Redactor(token: nil).redact(remote)
        let files = try LocalFile.collect(directory)
        guard !files.isEmpty else { throw RunnerError(directory.path, "nothing to publish: the directory is empty") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("runner-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        try git(["init", "-q", "."], in: scratch, what: shown)
        try git(["remote", "add", "origin", remote], in: scratch, what: shown)
        let heads = try git(["ls-remote", "--heads", "origin", "refs/heads/\(branch)"], in: scratch, what: shown)
        let exists = !heads.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        if exists {
            try git(["fetch", "-q", "--depth", "1", "origin", "refs/heads/\(branch)"], in: scratch, what: shown)
            try git(["checkout", "-q", "-B", branch, "FETCH_HEAD"], in: scratch, what: shown)
        } else {
            try git(["checkout", "-q", "--orphan", branch], in: scratch, what: shown)
        }
        for file in files {
            let destination = scratch.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.copyItem(at: file.url.resolvingSymlinksInPath(), to: destination)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: destination.path)
        }
        try git(["add", "-A", "--", "."], in: scratch, what: shown)
        let staged = try git(["diff", "--cached", "--name-only", "-z"], in: scratch, what: shown)
            .split(separator: "\0").map(String.init).sorted()
        let unchanged = files.map(\.path).filter { !staged.contains($0) }
        guard !staged.isEmpty else {
            log("\(shown) \(branch) already has all \(files.count) files; nothing to commit")
            let head = try git(["rev-parse", "HEAD"], in: scratch, what: shown).trimmingCharacters(in: .whitespacesAndNewlines)
            return PublishResult(destination: shown, branch: branch, commit: head, uploaded: [], unchanged: unchanged, created: false)
        }
        try git(["-c", "user.name=\(identity("GIT_AUTHOR_NAME", "runner"))", "-c", "user.email=\(identity("GIT_AUTHOR_EMAIL", "runner@localhost"))",
                 "commit", "-q", "--no-verify", "-m", message], in: scratch, what: shown)
        try git(["push", "-q", "origin", "HEAD:refs/heads/\(branch)"], in: scratch, what: shown)
        let head = try git(["rev-parse", "HEAD"], in: scratch, what: shown).trimmingCharacters(in: .whitespacesAndNewlines)
        log("pushed \(staged.count) file(s) to \(shown) \(branch) (\(head.prefix(12)))")
        return PublishResult(destination: shown, branch: branch, commit: head, uploaded: staged, unchanged: unchanged, created: !exists)
    }

    /// The commit identity: the user's git config wins; these are fallbacks for a bare machine.
    private func identity(_ variable: String, _ fallback: String) -> String {
        let key = variable == "GIT_AUTHOR_NAME" ? "user.name" : "user.email"
        if let configured = try? git(["config", "--get", key], in: FileManager.default.temporaryDirectory, what: "git config"),
           !configured.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return configured.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ProcessInfo.processInfo.environment[variable] ?? fallback
    }

    /// Runs git without a terminal (never prompts for credentials); returns stdout.
    @discardableResult
    private func git(_ arguments: [String], in directory: URL, what: String) throws -> String {
        let process = Process()
        if let gitPath {
            process.executableURL = URL(fileURLWithPath: gitPath)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git"] + arguments
        }
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_ASKPASS"] = "true"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw RunnerError(what, "cannot run git: \(error.localizedDescription)", hint: "install git (apt-get install git)")
        }
        nonisolated(unsafe) var errData = Data()
        let reader = DispatchQueue.global()
        let group = DispatchGroup()
        reader.async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw RunnerError(what, "git is not installed", hint: "install git (apt-get install git)")
            }
            let message = Redactor(token: nil).redact(String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            let command = arguments.first == "-c" ? "commit" : arguments[0]
            throw RunnerError(what, "git \(command) failed: \(message.isEmpty ? "exit status \(process.terminationStatus)" : message)",
                              hint: command == "push" || command == "ls-remote" ? "check that the remote exists and you may push to it" : nil)
        }
        return String(decoding: outData, as: UTF8.self)
    }
}
