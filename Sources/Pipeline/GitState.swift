// The git commit and dirty flag of the repository holding a recipe, for run records.
import Foundation

extension RunRecord.GitState {
    /// Nil when `directory` is not inside a git work tree or git is unavailable.
    public static func of(directory: URL) -> RunRecord.GitState? {
        guard let commit = git(["rev-parse", "HEAD"], in: directory)?.trimmingCharacters(in: .whitespacesAndNewlines),
              commit.count >= 40,
              let status = git(["status", "--porcelain", "--untracked-files=no"], in: directory) else { return nil }
        return RunRecord.GitState(commit: commit, dirty: !status.isEmpty)
    }

    private static func git(_ arguments: [String], in directory: URL) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
