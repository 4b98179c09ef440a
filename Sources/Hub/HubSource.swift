// `hf://org/name[@revision][/file.gguf]`: what a recipe writes to load a model from the Hub.
// The syntax follows huggingface_hub's HfFileSystem: a revision with `/` is percent-encoded
// (`@refs%2Fpr%2F1`); a path after the repository selects one GGUF file instead of the
// safetensors model.
import Basics
import Foundation

public struct HubSource: Hashable, Sendable, CustomStringConvertible {
    public static let scheme = "hf://"
    public var repo: HubRepoID
    /// Branch, tag or commit; `main` when the source names none.
    public var revision: String
    /// A single `.gguf` file in the repository, or nil for the safetensors model files.
    public var file: String?

    public init(repo: HubRepoID, revision: String = "main", file: String? = nil) {
        self.repo = repo
        self.revision = revision
        self.file = file
    }

    /// Parses a source as written in a recipe.
    /// - Throws: `RunnerError` saying which part is malformed and what the syntax is.
    public init(parsing text: String) throws {
        let syntax = "write hf://org/name, hf://org/name@revision or hf://org/name@revision/file.gguf"
        guard text.hasPrefix(Self.scheme) else { throw RunnerError(text, "not an `hf://` source", hint: syntax) }
        let rest = String(text.dropFirst(Self.scheme.count))
        if rest.hasPrefix("datasets/") || rest.hasPrefix("spaces/") {
            throw RunnerError(text, "only model repositories can be loaded", hint: syntax)
        }
        let parts = rest.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { throw RunnerError(text, "expected a repository `org/name`", hint: syntax) }
        var name = parts[1]
        var revision = "main"
        if let at = name.firstIndex(of: "@") {
            let encoded = String(name[name.index(after: at)...])
            name = String(name[..<at])
            guard let decoded = encoded.removingPercentEncoding, !decoded.isEmpty else {
                throw RunnerError(text, "the revision after `@` is empty or badly percent-encoded", hint: syntax)
            }
            try Self.validateRevision(decoded, in: text)
            revision = decoded
        }
        repo = try HubRepoID(parts[0] + "/" + name)
        self.revision = revision
        if parts.count == 3 {
            let path = parts[2]
            guard path.lowercased().hasSuffix(".gguf"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
                throw RunnerError(text, "a file in an `hf://` source must be a `.gguf` file (`\(path)`)",
                                  hint: "leave the file out to load the safetensors model, or name a .gguf file")
            }
            file = path
        } else {
            file = nil
        }
    }

    /// Whether `revision` is a full 40-hex commit id (immutable, resolvable without the network).
    public var isPinned: Bool { Self.isCommitHash(revision) }

    public static func isCommitHash(_ text: String) -> Bool {
        text.count == 40 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// The canonical spelling (revision percent-encoded when it contains `/`).
    public var description: String {
        let rev = revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? revision
        return Self.scheme + repo.description + "@" + rev + (file.map { "/" + $0 } ?? "")
    }

    private static func validateRevision(_ revision: String, in text: String) throws {
        if revision.hasPrefix("refs/pr/") || revision.hasPrefix("refs/convert/") {
            guard !revision.contains(".."), !revision.hasSuffix("/") else { throw RunnerError(text, "malformed revision `\(revision)`") }
            return
        }
        do { try GitRefName.validateBranch(revision) } catch let error as RunnerError {
            throw RunnerError(text, "revision `\(revision)` " + error.message.replacingOccurrences(of: "is not a valid git branch name: ", with: "is not valid: "))
        }
    }
}
