// Publishes a directory to a Hub model repository in one commit, the way huggingface_hub's
// upload_folder does: create the repo if missing, ask `preupload` which files are LFS and what the
// branch holds, upload changed LFS files through the LFS batch API, then commit (NDJSON).
// Files whose content the branch already has are not uploaded; no change means no commit.
import Basics
import Foundation

/// What a push did.
public struct PublishResult: Sendable, Equatable {
    /// Where it went (`hf://org/name` or the git remote as given, credentials redacted).
    public var destination: String
    public var branch: String
    /// The commit the branch points at afterwards (nil when the Hub did not say).
    public var commit: String?
    /// Files sent (changed or new), and files the remote already had.
    public var uploaded: [String]
    public var unchanged: [String]
    /// Whether the repository (or branch) had to be created.
    public var created: Bool
}

public struct HubPublisher: Sendable {
    public let environment: HubEnvironment
    public init(environment: HubEnvironment = .current()) {
        self.environment = environment
    }

    /// Pushes every file under `directory` (or the single file) to `repo` on `branch`.
    /// - Throws: `RunnerError` (no token, offline, HTTP errors with the token redacted). Nothing is
    ///   committed unless every LFS upload succeeded.
    public func push(_ directory: URL, to repo: HubRepoID, branch: String, private isPrivate: Bool, message: String,
                     log: (String) -> Void = { _ in }) throws -> PublishResult {
        let destination = "hf://\(repo)"
        try GitRefName.validateBranch(branch)
        guard environment.token != nil else {
            throw RunnerError(destination, "pushing to the Hub needs an access token with write permission",
                              hint: "set HF_TOKEN, or log in with `hf auth login` (token file $HF_HOME/token)")
        }
        guard !environment.offline else {
            throw RunnerError(destination, "HF_HUB_OFFLINE is set; cannot push", hint: "unset HF_HUB_OFFLINE")
        }
        let files = try LocalFile.collect(directory)
        guard !files.isEmpty else { throw RunnerError(directory.path, "nothing to publish: the directory is empty") }
        let api = HubAPI(environment: environment)
        var created = try createRepository(repo, private: isPrivate, api: api)
        if !created, try !branchExists(repo, branch: branch, api: api) {
            try createBranch(repo, branch: branch, api: api)
            created = true
        } else if created && branch != "main" {
            try createBranch(repo, branch: branch, api: api)
        }
        let remote = try preupload(files, repo: repo, branch: branch, api: api)
        var changed: [(LocalFile, lfs: Bool)] = []
        var unchanged: [String] = []
        for file in files {
            guard let answer = remote[file.path] else {
                throw RunnerError(destination, "the Hub's preupload answer does not mention `\(file.path)`")
            }
            if answer.ignored { continue }
            let same = answer.lfs ? answer.oid == file.sha256 : answer.oid == file.gitSHA1
            if same { unchanged.append(file.path) } else { changed.append((file, answer.lfs)) }
        }
        guard !changed.isEmpty else {
            log("\(destination)@\(branch) already has all \(files.count) files; nothing to commit")
            return PublishResult(destination: destination, branch: branch, commit: nil, uploaded: [], unchanged: unchanged, created: created)
        }
        let lfsFiles = changed.filter(\.lfs).map(\.0)
        if !lfsFiles.isEmpty { try uploadLFS(lfsFiles, repo: repo, branch: branch, api: api, log: log) }
        let commit = try commitFiles(changed, repo: repo, branch: branch, message: message, api: api)
        log("committed \(changed.count) file(s) to \(destination)@\(branch)" + (commit.map { " (\($0.prefix(12)))" } ?? ""))
        return PublishResult(destination: destination, branch: branch, commit: commit, uploaded: changed.map(\.0.path),
                             unchanged: unchanged, created: created)
    }

    /// `POST /api/repos/create`; 409 means it already exists. Returns whether it was created.
    private func createRepository(_ repo: HubRepoID, private isPrivate: Bool, api: HubAPI) throws -> Bool {
        let body: [String: Any] = ["name": repo.name, "organization": repo.namespace, "visibility": isPrivate ? "private" : "public", "type": "model"]
        let response = try api.client.send(HTTPRequest("POST", api.url("/api/repos/create"), headers: ["Content-Type": "application/json"],
                                                       body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])))
        if response.status == 409 { return false }
        try api.check(response, "create hf://\(repo)")
        return true
    }

    private func branchExists(_ repo: HubRepoID, branch: String, api: HubAPI) throws -> Bool {
        let response = try api.client.send(HTTPRequest("GET", api.url("/api/models/\(repo)/revision/\(HubAPI.escape(branch))")))
        if response.status == 404, response.header("x-error-code") == "RevisionNotFound" { return false }
        try api.check(response, "hf://\(repo)@\(branch)")
        return true
    }

    /// `POST /api/models/{repo}/branch/{branch}` (from the default branch's head).
    private func createBranch(_ repo: HubRepoID, branch: String, api: HubAPI) throws {
        let response = try api.client.send(HTTPRequest("POST", api.url("/api/models/\(repo)/branch/\(HubAPI.escape(branch))"),
                                                       headers: ["Content-Type": "application/json"], body: Data("{}".utf8)))
        if response.status == 409 { return }
        try api.check(response, "create branch \(branch) of hf://\(repo)")
    }

    private struct RemoteFile { var lfs: Bool; var oid: String?; var ignored: Bool }

    /// `POST /api/models/{repo}/preupload/{branch}` in chunks of 256 files.
    private func preupload(_ files: [LocalFile], repo: HubRepoID, branch: String, api: HubAPI) throws -> [String: RemoteFile] {
        var answers: [String: RemoteFile] = [:]
        let what = "preupload to hf://\(repo)@\(branch)"
        for start in stride(from: 0, to: files.count, by: 256) {
            let chunk = files[start ..< min(start + 256, files.count)]
            let body: [String: Any] = ["files": chunk.map { ["path": $0.path, "sample": $0.sample.base64EncodedString(), "size": $0.size] }]
            let response = try api.client.send(HTTPRequest("POST", api.url("/api/models/\(repo)/preupload/\(HubAPI.escape(branch))"),
                                                           headers: ["Content-Type": "application/json"],
                                                           body: try JSONSerialization.data(withJSONObject: body)))
            try api.check(response, what)
            for entry in try api.json(response, what)["files"] as? [[String: Any]] ?? [] {
                guard let path = entry["path"] as? String, let mode = entry["uploadMode"] as? String, mode == "lfs" || mode == "regular" else {
                    throw RunnerError(what, "the Hub's preupload answer is malformed")
                }
                answers[path] = RemoteFile(lfs: mode == "lfs", oid: entry["oid"] as? String, ignored: entry["shouldIgnore"] as? Bool ?? false)
            }
        }
        return answers
    }

    /// LFS batch API (basic transfer): one PUT per object the server does not have yet, then the
    /// optional verify call.
    private func uploadLFS(_ files: [LocalFile], repo: HubRepoID, branch: String, api: HubAPI, log: (String) -> Void) throws {
        let what = "LFS upload to hf://\(repo)"
        let lfsHeaders = ["Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"]
        let body: [String: Any] = [
            "operation": "upload", "transfers": ["basic"], "hash_algo": "sha256", "ref": ["name": branch],
            "objects": files.map { ["oid": $0.sha256, "size": $0.size] },
        ]
        let response = try api.client.send(HTTPRequest("POST", api.url("/\(repo).git/info/lfs/objects/batch"), headers: lfsHeaders,
                                                       body: try JSONSerialization.data(withJSONObject: body)))
        try api.check(response, what)
        let bySHA = Dictionary(files.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
        for object in try api.json(response, what)["objects"] as? [[String: Any]] ?? [] {
            guard let oid = object["oid"] as? String, let file = bySHA[oid] else { throw RunnerError(what, "the LFS batch answer is malformed") }
            if let error = object["error"] as? [String: Any] {
                throw RunnerError(what, api.redactor.redact("the Hub rejected \(file.path): \(error["message"] as? String ?? "error \(error["code"] ?? "")")"))
            }
            guard let actions = object["actions"] as? [String: Any], let upload = actions["upload"] as? [String: Any] else { continue }  // already stored
            guard let href = (upload["href"] as? String).flatMap(URL.init(string:)) else { throw RunnerError(what, "the LFS batch answer has no upload URL") }
            if let header = upload["header"] as? [String: Any], header["chunk_size"] != nil {
                throw RunnerError(what, "the Hub asked for a multipart upload of \(file.path), which runner does not support",
                                  hint: "push with huggingface_hub (`hf upload`) for files this large")
            }
            log("uploading \(file.path) (\(HubDownloader.formatBytes(file.size)))")
            let headers = (upload["header"] as? [String: String]) ?? [:]
            let put = try api.client.upload(href, file: file.url, headers: headers)
            try api.check(put, "upload \(file.path)")
            if let verify = actions["verify"] as? [String: Any], let verifyURL = (verify["href"] as? String).flatMap(URL.init(string:)) {
                var verifyHeaders = lfsHeaders
                for (name, value) in verify["header"] as? [String: String] ?? [:] { verifyHeaders[name] = value }
                let answer = try api.client.send(HTTPRequest("POST", verifyURL, headers: verifyHeaders,
                                                             body: try JSONSerialization.data(withJSONObject: ["oid": file.sha256, "size": file.size])))
                try api.check(answer, "verify upload of \(file.path)")
            }
        }
    }

    /// `POST /api/models/{repo}/commit/{branch}` with NDJSON: a header line, then one `file`
    /// (inline, base64) or `lfsFile` (sha256 pointer) line per changed file.
    private func commitFiles(_ files: [(LocalFile, lfs: Bool)], repo: HubRepoID, branch: String, message: String, api: HubAPI) throws -> String? {
        var lines: [[String: Any]] = [["key": "header", "value": ["summary": message, "description": ""]]]
        for (file, lfs) in files {
            if lfs {
                lines.append(["key": "lfsFile", "value": ["path": file.path, "algo": "sha256", "oid": file.sha256, "size": file.size]])
            } else {
                let content = try Data(contentsOf: file.url)
                lines.append(["key": "file", "value": ["path": file.path, "encoding": "base64", "content": content.base64EncodedString()]])
            }
        }
        var body = Data()
        for line in lines {
            body.append(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]))
            body.append(0x0A)
        }
        let what = "commit to hf://\(repo)@\(branch)"
        let response = try api.client.send(HTTPRequest("POST", api.url("/api/models/\(repo)/commit/\(HubAPI.escape(branch))"),
                                                       headers: ["Content-Type": "application/x-ndjson"], body: body))
        try api.check(response, what)
        return try api.json(response, what)["commitOid"] as? String
    }
}
