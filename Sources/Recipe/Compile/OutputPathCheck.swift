// Output paths (`save`/`merge`/`export` `path`) must stay inside the recipe's project directory:
// no absolute paths, no `..` escapes, no symbolic links out of it — unless the user allows it
// (`runner apply --allow-outside`). The Materializer checks symbolic links again when it writes.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a recipe may write its outputs.
public enum OutputPathPolicy: Sendable, Equatable {
    /// Inside the project directory (the directory of the recipe the user named). The default.
    case insideProject
    /// Anywhere (`--allow-outside`).
    case anywhere
}

extension StageInstance {
    /// This stage with `outputRoot` set to `root` when it has an output (the Materializer then
    /// refuses to write outside `root`, symbolic links included).
    func confiningOutput(to root: URL) -> StageInstance {
        var copy = self
        if outputPath != nil { copy.outputRoot = root }
        return copy
    }
}

enum OutputPathCheck {
    static let hint = "keep outputs under the recipe's directory, or pass --allow-outside to write there anyway"

    /// A diagnostic when `resolved` (written as `written`) leaves `project`, else nil.
    static func problem(written: String, resolved: URL, project: URL, at location: SourceLocation?, keyPath: String) -> Diagnostic? {
        func fail(_ message: String) -> Diagnostic { Diagnostic(at: location, keyPath: keyPath, message, hint: hint) }
        if written.hasPrefix("/") || written.hasPrefix("~") {
            return fail("output path `\(written)` is absolute")
        }
        let root = project.standardizedFileURL.path
        guard isInside(resolved.standardizedFileURL.path, root: root) else {
            return fail("output path `\(written)` leaves the recipe's directory")
        }
        // A symbolic link on the way (an existing directory that is a link) may lead elsewhere.
        if let real = realPathOfDeepestExisting(resolved), let realRoot = realPath(root), !isInside(real.path, root: realRoot) {
            let link = real.existing.hasPrefix(root + "/") ? String(real.existing.dropFirst(root.count + 1)) : real.existing
            return fail("output path `\(written)` leads out of the recipe's directory through a symbolic link (`\(link)` is \(real.path))")
        }
        return nil
    }

    /// Whether `path` is `root` or below it (both absolute, standardized).
    static func isInside(_ path: String, root: String) -> Bool {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return path == base || path.hasPrefix(base + "/") || base.isEmpty
    }

    /// The real path of the deepest existing ancestor of `url` (or of `url` itself), with the ancestor.
    static func realPathOfDeepestExisting(_ url: URL) -> (existing: String, path: String)? {
        var current = url.standardizedFileURL.path
        while true {
            if let real = realPath(current) { return (current, real) }
            let parent = (current as NSString).deletingLastPathComponent
            if parent == current || parent.isEmpty { return nil }
            current = parent
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
