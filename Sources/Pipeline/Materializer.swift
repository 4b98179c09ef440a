// Puts a cached artifact where the recipe asked for it (StageInstance.outputPath): hard links
// into the cache (copies across filesystems), each file written to a temporary name and renamed
// into place. Only the artifact's own files are replaced; a user's other files are left alone, but
// files an earlier materialization at the same directory placed (listed in its `.runner-files`)
// and the new artifact lacks are removed, so an output directory never mixes two versions.
// File names from a manifest are checked before use, and nothing is written through a symbolic
// link that leads out of the allowed root.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum Materializer {
    /// Materializes `artifact` at `destination`: its primary file as a file (any other files of the
    /// artifact, such as export's Modelfile, beside it), otherwise its whole `data/` directory as a
    /// directory (created if needed; existing unrelated files are kept).
    ///
    /// `root`: when given, every file must land inside it once symbolic links are resolved
    /// (`StageInstance.outputRoot`; nil when the user allowed outputs anywhere).
    /// - Throws: `RunnerError` naming the path for unsafe names, escapes and I/O failures.
    public static func materialize(_ artifact: Artifact, at destination: URL, inside root: URL? = nil) throws {
        let fm = FileManager.default
        let stage = artifact.manifest.stageName
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: destination.path, isDirectory: &isDirectory)
        var placements: [(source: URL, target: URL)] = []
        if let primary = artifact.manifest.primaryFile {
            if exists && isDirectory.boolValue {
                throw RunnerError(destination.path, "is a directory, but stage `\(stage)` produces a file",
                                  hint: "choose a file path for the output, or move the directory away")
            }
            let primaryPath = try safeRelativePath(primary, from: "the manifest of stage `\(stage)`")
            placements.append((artifact.data.appendingPathComponent(primaryPath), destination))
            let beside = destination.deletingLastPathComponent()
            for file in artifact.manifest.files where file.path != primary {
                let path = try safeRelativePath(file.path, from: "the manifest of stage `\(stage)`")
                let target = beside.appendingPathComponent(path)
                guard target.standardizedFileURL.path != destination.standardizedFileURL.path else {
                    throw RunnerError(destination.path, "would be overwritten by `\(path)`, which stage `\(stage)` writes beside its output",
                                      hint: "give the output another file name")
                }
                placements.append((artifact.data.appendingPathComponent(path), target))
            }
        } else {
            if exists && !isDirectory.boolValue {
                throw RunnerError(destination.path, "is a file, but stage `\(stage)` produces a directory",
                                  hint: "choose a directory path for the output, or move the file away")
            }
            for file in artifact.manifest.files {
                let path = try safeRelativePath(file.path, from: "the manifest of stage `\(stage)`")
                placements.append((artifact.data.appendingPathComponent(path), destination.appendingPathComponent(path)))
            }
        }
        for (source, target) in placements {
            if let root { try checkStaysInside(target, root: root) }
            try place(source, at: target)
        }
        if artifact.manifest.primaryFile == nil {
            try replaceFileList(in: destination, with: artifact.manifest.files.map(\.path), inside: root)
        }
    }

    /// The list of files the last materialization placed in an output directory.
    static let fileListName = ".runner-files"

    /// Removes the files the previous `.runner-files` of `directory` names and `current` does not
    /// (regular files only, never through a link, names checked like a manifest's), then records
    /// `current`.
    static func replaceFileList(in directory: URL, with current: [String], inside root: URL?) throws {
        let list = directory.appendingPathComponent(fileListName)
        let keep = Set(current)
        if let previous = try? String(contentsOf: list, encoding: .utf8) {
            for name in previous.split(separator: "\n").map(String.init) where !name.isEmpty && !keep.contains(name) {
                guard let path = try? safeRelativePath(name, from: list.path) else { continue }
                let stale = directory.appendingPathComponent(path)
                if let root { try checkStaysInside(stale, root: root) }
                var info = stat()
                guard lstat(stale.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                unlink(stale.path)
            }
        }
        AtomicFile.sweepStaleTemporaries(of: list)   // a run killed while writing the list
        try AtomicFile.write(Data((current.sorted().joined(separator: "\n") + "\n").utf8), to: list)
    }

    /// `name` when it is a safe relative path to join onto a directory: not empty, not absolute, no
    /// `.`/`..`/empty components, no NUL or backslash. Use it for every name that comes from a file
    /// (a manifest, an index) before joining it onto a path.
    /// - Throws: `RunnerError` saying what is wrong with the name and where it came from.
    public static func safeRelativePath(_ name: String, from source: String) throws -> String {
        func bad(_ why: String) -> RunnerError {
            RunnerError(source, "file name \(name.debugDescription) \(why)",
                        hint: "the entry is damaged or was not written by runner; remove it (`runner cache verify`) and re-run")
        }
        guard !name.isEmpty else { throw bad("is empty") }
        guard !name.hasPrefix("/") else { throw bad("is absolute") }
        guard !name.contains("\0"), !name.contains("\\") else { throw bad("contains a NUL or backslash") }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw bad("has an empty, `.` or `..` component")
        }
        return name
    }

    /// Throws unless `target`, with symbolic links resolved as far as it exists, lies inside `root`.
    static func checkStaysInside(_ target: URL, root: URL) throws {
        guard let realRoot = realPath(root.standardizedFileURL.path) else {
            throw RunnerError(root.path, "the project directory cannot be resolved")
        }
        var existing = target.standardizedFileURL.path
        var real = realPath(existing)
        // The target itself may be a link (rename replaces a link, never writes through it); its directory must not lead out.
        if isSymbolicLink(existing) { existing = (existing as NSString).deletingLastPathComponent; real = realPath(existing) }
        while real == nil {
            let parent = (existing as NSString).deletingLastPathComponent
            guard parent != existing, !parent.isEmpty else { break }
            existing = parent
            real = realPath(existing)
        }
        let base = realRoot.hasSuffix("/") ? String(realRoot.dropLast()) : realRoot
        guard let real, real == base || real.hasPrefix(base + "/") || base.isEmpty else {
            throw RunnerError(target.path, "leads out of the project directory \(root.path) through a symbolic link (\(existing) is really \(real ?? "?"))",
                              hint: "remove the link, choose another output path, or pass --allow-outside to `runner apply`")
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Links (or copies) `source` to a temporary sibling of `target`, then renames it over `target`.
    static func place(_ source: URL, at target: URL) throws {
        let dir = target.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw RunnerError(dir.path, "cannot create output directory: \(error.localizedDescription)")
        }
        sweepStaleTemporaries(of: target)
        var a = stat(), b = stat()
        if stat(source.path, &a) == 0, stat(target.path, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev { return }
        let temporary = dir.appendingPathComponent(".\(target.lastPathComponent).runner-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        if link(source.path, temporary.path) != 0 {
            do { try FileManager.default.copyItem(at: source, to: temporary) } catch {
                unlink(temporary.path)  // a copy that ran out of space leaves a partial file
                throw RunnerError(target.path, "cannot write output: \(error.localizedDescription)",
                                  hint: NoSpaceError.matches(error) ? "no space left on device" : nil)
            }
        }
        FailPoint.materializeBeforeRename.hit()
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw RunnerError(target.path, "cannot write output: \(reason)")
        }
        // rename(2) does nothing when both names are links to one file, which happens when a
        // concurrent run placed the same cache file first: the temporary must go either way.
        unlink(temporary.path)
    }

    /// Removes `.<name>.runner-<pid>-<n>` siblings of `target` whose writer process has exited
    /// (a run killed between linking and renaming).
    static func sweepStaleTemporaries(of target: URL) {
        AtomicFile.sweepStaleSiblings(of: target, marker: "runner")
    }
}
