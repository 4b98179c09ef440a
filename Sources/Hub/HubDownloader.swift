// Downloads a model from the Hub into the shared HF cache, or finds it there offline. Each file
// goes to `blobs/<etag>.incomplete`, resumes with an HTTP Range request, is checked against the
// Hub's size and hash (LFS sha256, or git blob sha1), and only then becomes `blobs/<etag>` and a
// snapshot symlink. A half-downloaded or corrupt file is never used.
import Basics
import Crypto
import Foundation

public struct HubDownloader: Sendable {
    public let environment: HubEnvironment
    public var cache: HubCache { HubCache(root: environment.cacheDirectory) }

    public init(environment: HubEnvironment = .current()) {
        self.environment = environment
    }

    /// The files `load` needs from a model repository: config, generation config, tokenizer files,
    /// chat template and safetensors weights (with their index) at the top level — or the one GGUF
    /// file the source names.
    public static func isModelFile(_ path: String) -> Bool {
        guard !path.contains("/") else { return false }
        let fixed: Set<String> = ["config.json", "generation_config.json", "special_tokens_map.json", "chat_template.jinja", "chat_template.json"]
        return fixed.contains(path) || (path.hasPrefix("tokenizer") && path.hasSuffix(".json"))
            || path.hasSuffix(".safetensors") || path.hasSuffix(".safetensors.index.json")
    }

    /// The commit `source` points at now: its own id when pinned; online, the Hub's answer (the
    /// cached ref if the Hub cannot be reached); offline, the cached ref.
    /// - Throws: `RunnerError` when neither the Hub nor the cache knows the revision.
    public func resolveCommit(_ source: HubSource) throws -> String {
        if source.isPinned { return source.revision }
        if environment.offline {
            guard let commit = cache.commit(for: source.revision, in: source.repo) else {
                throw RunnerError("\(source)", "HF_HUB_OFFLINE is set and the revision is not in the local cache (\(cache.repoDirectory(source.repo).path))",
                                  hint: "unset HF_HUB_OFFLINE to download it, or name a cached commit after `@`")
            }
            return commit
        }
        do {
            let info = try HubAPI(environment: environment, timeout: 30).revisionInfo(source.repo, revision: source.revision)
            try? cache.recordRef(source.revision, commit: info.commit, in: source.repo)
            return info.commit
        } catch let error as RunnerError where error.message.hasPrefix("request failed") {
            if let commit = cache.commit(for: source.revision, in: source.repo) { return commit }  // offline fallback, as huggingface_hub
            throw error
        }
    }

    /// Makes the model of `source` (revision: a commit id, as the planner pins it, or any revision)
    /// available locally and returns the snapshot directory, or the GGUF file for a file source.
    /// `log` receives one line per downloaded file; `isCancelled` is polled during downloads (Ctrl-C
    /// stops them, keeping the partial file for resume). Online, the file list always comes from
    /// the Hub (a cached snapshot may be partial); offline, the snapshot must be complete.
    /// - Throws: `RunnerError` for network, authorization, verification and disk problems.
    public func fetch(_ source: HubSource, log: (String) -> Void = { _ in },
                      isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> URL {
        let commit: String
        var files: [HubFileInfo]? = nil
        if environment.offline {
            commit = try resolveCommit(source)
        } else {
            let info = try HubAPI(environment: environment).revisionInfo(source.repo, revision: source.revision)
            commit = info.commit
            files = info.files
            try cache.recordRef(source.revision, commit: commit, in: source.repo)
        }
        let snapshot = cache.snapshotDirectory(source.repo, commit: commit)
        if let files {
            let wanted = try select(files, for: source)
            let api = HubAPI(environment: environment)
            for file in wanted {
                if isCancelled() { throw RunnerError("\(source)", "cancelled") }
                try fetchFile(file, repo: source.repo, commit: commit, api: api, log: log, isCancelled: isCancelled)
            }
        }
        let result = source.file.map { snapshot.appendingPathComponent($0) } ?? snapshot
        try checkComplete(result, source: source, commit: commit)
        return result
    }

    /// The files to download, in a stable order.
    func select(_ files: [HubFileInfo], for source: HubSource) throws -> [HubFileInfo] {
        if let name = source.file {
            guard let file = files.first(where: { $0.path == name }) else {
                let ggufs = files.map(\.path).filter { $0.lowercased().hasSuffix(".gguf") }
                throw RunnerError("\(source)", "the repository has no file `\(name)`",
                                  hint: ggufs.isEmpty ? "it has no .gguf files" : "its .gguf files: \(ggufs.prefix(10).joined(separator: ", "))")
            }
            return [file]
        }
        let wanted = files.filter { Self.isModelFile($0.path) }.sorted { $0.path < $1.path }
        guard wanted.contains(where: { $0.path.hasSuffix(".safetensors") }) else {
            let ggufs = files.map(\.path).filter { $0.lowercased().hasSuffix(".gguf") }
            throw RunnerError("\(source)", "the repository has no safetensors weights",
                              hint: ggufs.isEmpty ? "runner loads safetensors or GGUF models"
                                  : "name a GGUF file: hf://\(source.repo)@\(source.revision)/\(ggufs[0])")
        }
        return wanted
    }

    /// What the load stage needs is present in the snapshot (offline use, or a download that was
    /// cut short): the file, or config.json plus every safetensors shard.
    private func checkComplete(_ url: URL, source: HubSource, commit: String) throws {
        let fm = FileManager.default
        let hint = environment.offline ? "unset HF_HUB_OFFLINE to download it" : "run again to finish the download"
        if source.file != nil {
            guard fm.fileExists(atPath: url.path) else { throw RunnerError("\(source)", "\(url.lastPathComponent) is not in the local cache at commit \(commit)", hint: hint) }
            return
        }
        let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        var missing = ["config.json"].filter { !names.contains($0) }
        if !names.contains(where: { $0.hasSuffix(".safetensors") }) { missing.append("*.safetensors") }
        missing += names.filter { !fm.fileExists(atPath: url.appendingPathComponent($0).path) }  // dangling links
        for index in names where index.hasSuffix(".safetensors.index.json") {
            missing += Self.shards(listedIn: url.appendingPathComponent(index)).filter { !names.contains($0) }
        }
        guard missing.isEmpty else {
            throw RunnerError("\(source)", "the local cache has no complete model at commit \(commit): missing \(missing.sorted().joined(separator: ", ")) in \(url.path)",
                              hint: hint)
        }
    }

    /// The shard files a safetensors index's `weight_map` names.
    static func shards(listedIn index: URL) -> Set<String> {
        guard let data = try? Data(contentsOf: index), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: String] else { return [] }
        return Set(map.values)
    }

    /// Downloads one file into `blobs/` (unless there) and links it into the snapshot. Holds the
    /// same per-blob lock file huggingface_hub uses, so concurrent downloads do not collide.
    private func fetchFile(_ file: HubFileInfo, repo: HubRepoID, commit: String, api: HubAPI, log: (String) -> Void,
                           isCancelled: @escaping @Sendable () -> Bool) throws {
        let blob = cache.blob(repo, etag: file.etag)
        if Self.size(of: blob) != file.size {
            let lock = try ExclusiveFileLock(cache.lockFile(repo, etag: file.etag))
            defer { lock.release() }
            if Self.size(of: blob) != file.size {
                log("downloading \(file.path) (\(Self.formatBytes(file.size)))")
                try download(file, to: blob, url: api.resolveURL(repo, commit: commit, path: file.path), api: api,
                             what: "hf://\(repo)@\(commit)/\(file.path)", isCancelled: isCancelled)
            }
        }
        try cache.link(file.path, commit: commit, etag: file.etag, in: repo)
    }

    private func download(_ file: HubFileInfo, to blob: URL, url: URL, api: HubAPI, what: String,
                          isCancelled: @escaping @Sendable () -> Bool) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        let incomplete = URL(fileURLWithPath: blob.path + ".incomplete")
        var have = Self.size(of: incomplete) ?? 0
        if have > file.size { try? fm.removeItem(at: incomplete); have = 0 }
        if !fm.fileExists(atPath: incomplete.path) { _ = fm.createFile(atPath: incomplete.path, contents: nil) }
        if have < file.size {
            guard let handle = FileHandle(forWritingAtPath: incomplete.path) else {
                throw RunnerError(incomplete.path, "cannot open for writing", hint: "check permissions of the HF cache")
            }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(have))
            let headers = have > 0 ? ["Range": "bytes=\(have)-"] : [:]
            var response = try api.client.download(url, headers: headers, into: handle, isCancelled: isCancelled)
            if response.status == 416 {  // what we hold is not a prefix the server knows: start over
                try handle.truncate(atOffset: 0)
                response = try api.client.download(url, headers: [:], into: handle, isCancelled: isCancelled)
            }
            try api.check(response, what)
            if have > 0 && response.status == 200 {
                // The server ignored Range and sent the whole file after our prefix: keep only its bytes.
                try handle.close()
                try Self.dropPrefix(have, of: incomplete)
            }
        }
        if let size = Self.size(of: incomplete), size < file.size {
            throw RunnerError(what, "received only \(size) of \(file.size) bytes",
                              hint: "run again: the download resumes from \(incomplete.lastPathComponent)")
        }
        do {
            try verify(incomplete, against: file, what: what)
        } catch {
            try? fm.removeItem(at: incomplete)  // a corrupt prefix must not be resumed
            throw error
        }
        _ = try? fm.removeItem(at: blob)
        try fm.moveItem(at: incomplete, to: blob)
    }

    /// Size, then the content hash the Hub states (LFS: sha256; else git's blob sha1).
    private func verify(_ url: URL, against file: HubFileInfo, what: String) throws {
        let size = Self.size(of: url) ?? -1
        guard size == file.size else {
            throw RunnerError(what, "size mismatch: got \(size) bytes, the Hub says \(file.size); the file was discarded",
                              hint: "run again to download it anew")
        }
        if let expected = file.lfsSHA256 {
            let actual = try Digest.sha256Hex(fileAt: url)
            guard actual == expected.lowercased() else {
                throw RunnerError(what, "sha256 mismatch: got \(actual), the Hub says \(expected); the file was discarded",
                                  hint: "run again; if it persists, the download is being altered on the way")
            }
        } else {
            let actual = try Self.gitBlobSHA1(url, size: size)
            guard actual == file.blobID.lowercased() else {
                throw RunnerError(what, "git blob sha1 mismatch: got \(actual), the Hub says \(file.blobID); the file was discarded",
                                  hint: "run again; if it persists, the download is being altered on the way")
            }
        }
    }

    /// Git's object id of a file: sha1("blob <size>\0" + bytes).
    static func gitBlobSHA1(_ url: URL, size: Int64) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw RunnerError(url.path, "cannot open for reading") }
        defer { try? handle.close() }
        var hasher = Insecure.SHA1()
        hasher.update(data: Data("blob \(size)\u{0}".utf8))
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func dropPrefix(_ count: Int64, of url: URL) throws {
        let trimmed = URL(fileURLWithPath: url.path + ".trim")
        guard let input = FileHandle(forReadingAtPath: url.path) else { throw RunnerError(url.path, "cannot reopen the download") }
        defer { try? input.close() }
        _ = FileManager.default.createFile(atPath: trimmed.path, contents: nil)
        guard let output = FileHandle(forWritingAtPath: trimmed.path) else { throw RunnerError(trimmed.path, "cannot create file") }
        defer { try? output.close() }
        try input.seek(toOffset: UInt64(count))
        while let chunk = try input.read(upToCount: 4 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
        _ = try FileManager.default.replaceItemAt(url, withItemAt: trimmed)
    }

    static func size(of url: URL) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
    }

    static func formatBytes(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GiB", Double(bytes) / Double(1 << 30))
            : bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
            : "\(bytes) bytes"
    }
}
