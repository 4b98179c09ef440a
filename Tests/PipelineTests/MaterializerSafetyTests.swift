// The Materializer's guards: names from a manifest are checked before they are joined onto a path,
// nothing is written through a symbolic link out of the allowed root, and a primary-file
// artifact's other files land beside it without overwriting it.
import Basics
import Foundation
@testable import Pipeline
import Testing

@Suite struct MaterializerSafetyTests {
    @Test func unsafeNamesAreRejected() throws {
        for name in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a\\b", "a\0b"] {
            #expect(throws: RunnerError.self, "\(name.debugDescription)") { try Materializer.safeRelativePath(name, from: "manifest") }
        }
        for name in ["model.gguf", "a/b/c.safetensors", "..hidden", "a..b"] {
            #expect(try Materializer.safeRelativePath(name, from: "manifest") == name)
        }
    }

    /// An artifact in `root/cache` with `files` (path → text); `primary` names its primary file.
    func artifact(in root: URL, files: [String: String], primary: String?) throws -> Artifact {
        let entry = root.appendingPathComponent("cache/entry")
        var listed: [ArtifactManifest.File] = []
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let url = entry.appendingPathComponent("data").appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            listed.append(ArtifactManifest.File(path: path, size: Int64(text.utf8.count), sha256: Digest.sha256Hex(text)))
        }
        let manifest = ArtifactManifest(key: "k", stageName: "s", kind: "test", implementationVersion: 1, params: "{}", inputKeys: [:],
                                        inputFiles: [:], files: listed, primaryFile: primary, toolVersion: "t", createdAt: "now",
                                        seconds: 0, metrics: [:])
        return Artifact(key: "k", entry: entry, manifest: manifest)
    }

    func withRoot(_ body: (URL) throws -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runner-mat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("project"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try body(root)
    }

    /// A re-materialized directory holds exactly the new artifact's files plus the user's own: files
    /// the previous version placed and the new one lacks (a shard, a tokenizer file) are removed.
    @Test func filesOfThePreviousVersionAreRemovedUserFilesKept() throws {
        try withRoot { root in
            let project = root.appendingPathComponent("project"), out = project.appendingPathComponent("out")
            let first = try artifact(in: root.appendingPathComponent("v1"), files: ["config.json": "1", "model-00001-of-00002.safetensors": "a",
                                                                                    "model-00002-of-00002.safetensors": "b", "sub/old.txt": "o"], primary: nil)
            try Materializer.materialize(first, at: out, inside: project)
            try Data("mine".utf8).write(to: out.appendingPathComponent("notes.md"))
            let second = try artifact(in: root.appendingPathComponent("v2"), files: ["config.json": "2", "model.safetensors": "ab"], primary: nil)
            try Materializer.materialize(second, at: out, inside: project)
            let files = Set(try FileManager.default.subpathsOfDirectory(atPath: out.path))
            #expect(files == ["config.json", "model.safetensors", "notes.md", "sub", Materializer.fileListName], "\(files.sorted())")
            #expect(try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8) == "2")
            // A damaged list names nothing outside the directory and nothing that is not a plain file.
            try Data("../project/out/notes.md\nnotes.md/\n/etc/passwd\n".utf8).write(to: out.appendingPathComponent(Materializer.fileListName))
            try Materializer.materialize(second, at: out, inside: project)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("notes.md").path))
        }
    }

    /// A run killed while writing the file list (or placing a file) leaves a temporary named after its
    /// pid; the next materialization removes it once that process is gone, and keeps a live writer's.
    @Test func temporariesOfAKilledRunAreSwept() throws {
        try withRoot { root in
            let project = root.appendingPathComponent("project"), out = project.appendingPathComponent("out")
            let version = try artifact(in: root.appendingPathComponent("v1"), files: ["config.json": "1"], primary: nil)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let dead = deadProcessID()
            let stale = [".\(Materializer.fileListName).tmp-\(dead)-7", ".config.json.runner-\(dead)-9"]
            let live = ".\(Materializer.fileListName).tmp-\(getpid())-3"
            for name in stale + [live] { try Data("x".utf8).write(to: out.appendingPathComponent(name)) }
            try Materializer.materialize(version, at: out, inside: project)
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
            #expect(files == ["config.json", Materializer.fileListName, live], "\(files.sorted())")
        }
    }

    /// The pid of a process that has exited (a child that ran `true` and was reaped).
    func deadProcessID() -> pid_t {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try? child.run()
        child.waitUntilExit()
        return child.processIdentifier
    }

    @Test func symbolicLinkOutOfTheRootIsRefusedAtWriteTime() throws {
        try withRoot { root in
            let project = root.appendingPathComponent("project")
            let outside = root.appendingPathComponent("outside")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: project.appendingPathComponent("out"), withDestinationURL: outside)
            let a = try artifact(in: root, files: ["model.gguf": "weights"], primary: "model.gguf")
            #expect(throws: RunnerError.self) {
                try Materializer.materialize(a, at: project.appendingPathComponent("out/model.gguf"), inside: project)
            }
            #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("model.gguf").path))
            // Without a root (--allow-outside) the link is followed.
            try Materializer.materialize(a, at: project.appendingPathComponent("out/model.gguf"), inside: nil)
            #expect(FileManager.default.fileExists(atPath: outside.appendingPathComponent("model.gguf").path))
        }
    }

    @Test func manifestNamesAreCheckedBeforeUse() throws {
        try withRoot { root in
            var a = try artifact(in: root, files: ["a.txt": "a"], primary: nil)
            a.manifest.files[0].path = "../../escaped.txt"
            #expect(throws: RunnerError.self) {
                try Materializer.materialize(a, at: root.appendingPathComponent("project/out"), inside: root.appendingPathComponent("project"))
            }
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("escaped.txt").path))
        }
    }

    @Test func companionFilesLandBesideThePrimaryFile() throws {
        try withRoot { root in
            let project = root.appendingPathComponent("project")
            let a = try artifact(in: root, files: ["model.gguf": "weights", "Modelfile": "FROM ./x.gguf\n"], primary: "model.gguf")
            try Materializer.materialize(a, at: project.appendingPathComponent("out/x.gguf"), inside: project)
            #expect(try String(contentsOf: project.appendingPathComponent("out/x.gguf"), encoding: .utf8) == "weights")
            #expect(try String(contentsOf: project.appendingPathComponent("out/Modelfile"), encoding: .utf8) == "FROM ./x.gguf\n")
            #expect(throws: RunnerError.self, "a companion may not overwrite the output itself") {
                try Materializer.materialize(a, at: project.appendingPathComponent("out/Modelfile"), inside: project)
            }
        }
    }
}
