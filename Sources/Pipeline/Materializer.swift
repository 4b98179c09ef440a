// Puts a cached artifact where the recipe asked for it (StageInstance.outputPath): hard links
// into the cache (copies across filesystems), each file written to a temporary name and renamed
// into place. Only the artifact's own files are replaced; a user's other files are left alone.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum Materializer {
    /// Materializes `artifact` at `destination`: its primary file as a file, otherwise its whole
    /// `data/` directory as a directory (created if needed; existing unrelated files are kept).
    public static func materialize(_ artifact: Artifact, at destination: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: destination.path, isDirectory: &isDirectory)
        if let primary = artifact.manifest.primaryFile {
            if exists && isDirectory.boolValue {
                throw RunnerError(destination.path, "is a directory, but stage `\(artifact.manifest.stageName)` produces a file",
                                  hint: "choose a file path for the output, or move the directory away")
            }
            try place(artifact.data.appendingPathComponent(primary), at: destination)
        } else {
            if exists && !isDirectory.boolValue {
                throw RunnerError(destination.path, "is a file, but stage `\(artifact.manifest.stageName)` produces a directory",
                                  hint: "choose a directory path for the output, or move the file away")
            }
            for file in artifact.manifest.files {
                try place(artifact.data.appendingPathComponent(file.path), at: destination.appendingPathComponent(file.path))
            }
        }
    }

    /// Links (or copies) `source` to a temporary sibling of `target`, then renames it over `target`.
    static func place(_ source: URL, at target: URL) throws {
        let dir = target.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw RunnerError(dir.path, "cannot create output directory: \(error.localizedDescription)")
        }
        var a = stat(), b = stat()
        if stat(source.path, &a) == 0, stat(target.path, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev { return }
        let temporary = dir.appendingPathComponent(".\(target.lastPathComponent).runner-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        if link(source.path, temporary.path) != 0 {
            do { try FileManager.default.copyItem(at: source, to: temporary) } catch {
                throw RunnerError(target.path, "cannot write output: \(error.localizedDescription)")
            }
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw RunnerError(target.path, "cannot write output: \(reason)")
        }
    }
}
