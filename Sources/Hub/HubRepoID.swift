// Hub repository ids (`org/name`) and git branch names, validated with the Hub's own rules before
// any request is made, so a typo fails with a clear message instead of a 404.
import Basics

/// A Hugging Face model repository id: `namespace/name`.
public struct HubRepoID: Hashable, Sendable, CustomStringConvertible {
    public let namespace: String
    public let name: String

    /// Validates `text` as `namespace/name`. Each part: 1–96 ASCII letters, digits, `-`, `_`, `.`;
    /// neither starts nor ends with `-` or `.`; no `--` or `..`; the name does not end in `.git`.
    /// - Throws: `RunnerError` naming the id and the broken rule.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
            throw RunnerError(text, "a Hub repository is `org/name` (one `/`)", hint: "write e.g. hf://my-org/my-model")
        }
        for part in parts { try Self.check(part, in: text) }
        if parts[1].hasSuffix(".git") { throw RunnerError(text, "a repository name cannot end in `.git`") }
        namespace = parts[0]
        name = parts[1]
    }

    public var description: String { "\(namespace)/\(name)" }

    private static func check(_ part: String, in text: String) throws {
        let allowed = part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
        guard !part.isEmpty, part.count <= 96, allowed else {
            throw RunnerError(text, "`\(part)` is not a valid Hub name: use 1–96 characters among letters, digits, `-`, `_` and `.`")
        }
        guard let first = part.first, let last = part.last, !"-.".contains(first), !"-.".contains(last) else {
            throw RunnerError(text, "`\(part)` is not a valid Hub name: it cannot start or end with `-` or `.`")
        }
        if part.contains("--") || part.contains("..") {
            throw RunnerError(text, "`\(part)` is not a valid Hub name: `--` and `..` are not allowed")
        }
    }
}

/// Git branch (and Hub revision) names: `git check-ref-format --branch` rules, checked locally.
public enum GitRefName {
    /// - Throws: `RunnerError` naming the branch and the broken rule.
    public static func validateBranch(_ branch: String) throws {
        let problem: String?
        if branch.isEmpty { problem = "is empty" }
        else if branch.count > 255 { problem = "is longer than 255 characters" }
        else if branch.hasPrefix("-") { problem = "starts with `-`" }
        else if branch.hasPrefix("/") || branch.hasSuffix("/") || branch.contains("//") { problem = "has an empty path component" }
        else if branch.hasSuffix(".") || branch.hasSuffix(".lock") || branch.contains("..") || branch.contains("@{") || branch == "@" {
            problem = "contains `..`, `@{` or ends in `.` or `.lock`"
        } else if branch.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { problem = "has a component starting with `.`" }
        else if branch.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || " ~^:?*[\\".unicodeScalars.contains($0) }) {
            problem = "contains a space, a control character or one of ~ ^ : ? * [ \\"
        } else { problem = nil }
        if let problem { throw RunnerError("branch `\(branch)`", "is not a valid git branch name: it \(problem)") }
    }
}
