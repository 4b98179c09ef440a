// TEST DOUBLE — not the Hub. An in-memory Hugging Face Hub implementing just the endpoints runner
// uses, with the request and response shapes of the Hub API documentation and huggingface_hub:
// model revision info (`?blobs=true`), resolve (with Range), repo and branch creation, preupload,
// LFS batch + PUT + verify, and the NDJSON commit. Every request needs the configured bearer
// token. Error bodies echo the Authorization header they got, like a careless proxy, so tests
// prove runner redacts it.
import Foundation
import Hub

final class FakeHub: @unchecked Sendable {
    struct Repo {
        var isPrivate: Bool
        var branches: [String: String]  // branch → commit
        var commits: [String: [String: Data]]  // commit → path → bytes
    }

    struct Logged { var method: String; var path: String; var authorization: String?; var range: String? }

    private let lock = NSLock()
    private var server: HTTPTestServer!
    /// The token every request must carry (`Authorization: Bearer …`).
    let token: String
    private var repos: [String: Repo] = [:]
    private var lfsObjects: [String: Data] = [:]
    private var requests: [Logged] = []
    private var commitCounter = 0
    /// Fault injection for downloads: serve only the first N bytes of a file (then close).
    var truncateDownloadsAt: Int? { get { locked { _truncate } } set { locked { _truncate = newValue } } }
    private var _truncate: Int?
    /// Fault injection: serve these bytes for a path instead of the stored ones.
    var tamperedFiles: [String: Data] { get { locked { _tampered } } set { locked { _tampered = newValue } } }
    private var _tampered: [String: Data] = [:]
    /// When set, LFS files resolve to a 302 redirect to `<base>/<sha256>` (like the Hub's CDN).
    var lfsRedirectBase: URL? { get { locked { _redirect } } set { locked { _redirect = newValue } } }
    private var _redirect: URL?

    init(token: String) throws {
        self.token = token
        server = try HTTPTestServer { [unowned self] request in self.handle(request) }
    }

    deinit { server.stop() }

    var endpoint: URL { server.endpoint }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body()
    }

    /// Files larger than this, and `*.safetensors` / `*.gguf`, are LFS (the Hub's rule is 10 MB
    /// or a .gitattributes pattern).
    static func isLFS(_ path: String, size: Int) -> Bool {
        size > 1 << 20 || path.hasSuffix(".safetensors") || path.hasSuffix(".gguf") || path.hasSuffix(".bin")
    }

    // MARK: - Test-side accessors

    /// Creates (or adds a commit to) `repo` on `branch` with `files`; returns the commit id.
    @discardableResult
    func seed(_ repo: String, files: [String: Data], branch: String = "main", isPrivate: Bool = false) -> String {
        locked {
            var state = repos[repo] ?? Repo(isPrivate: isPrivate, branches: [:], commits: [:])
            let parent = state.branches[branch].flatMap { state.commits[$0] } ?? [:]
            let commit = newCommit(parent.merging(files) { $1 }, into: &state)
            state.branches[branch] = commit
            repos[repo] = state
            return commit
        }
    }

    func files(_ repo: String, branch: String = "main") -> [String: Data]? {
        locked { repos[repo].flatMap { state in state.branches[branch].flatMap { state.commits[$0] } } }
    }

    func head(_ repo: String, branch: String = "main") -> String? { locked { repos[repo]?.branches[branch] } }
    func isPrivate(_ repo: String) -> Bool? { locked { repos[repo]?.isPrivate } }
    var log: [Logged] { locked { requests } }
    var storedLFSObjects: Int { locked { lfsObjects.count } }

    private func newCommit(_ files: [String: Data], into state: inout Repo) -> String {
        commitCounter += 1
        let listing = files.keys.sorted().map { "\($0)=\(ContentHash.sha256(files[$0]!))" }.joined(separator: ";")
        let commit = String(ContentHash.sha256(Data("\(commitCounter);\(listing)".utf8)).prefix(40))
        state.commits[commit] = files
        return commit
    }

    // MARK: - Routing

    private func handle(_ request: TestHTTPRequest) -> TestHTTPResponse {
        locked { requests.append(Logged(method: request.method, path: request.target, authorization: request.headers["authorization"], range: request.headers["range"])) }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0.removingPercentEncoding ?? String($0) }
        // LFS upload URLs are presigned (like the Hub's S3 URLs): the signature, not the token, authorizes.
        if request.method == "PUT", parts.count == 2, parts[0] == "lfs-upload" {
            guard request.query == "signature=\(Self.signature(parts[1]))" else { return .json(403, ["error": "bad signature"]) }
            return lfsUpload(oid: parts[1], body: request.body)
        }
        guard request.headers["authorization"] == "Bearer \(token)" else {
            return .json(401, ["error": "Invalid credentials in Authorization header (got \(request.headers["authorization"] ?? "none"))"])
        }
        switch (request.method, parts.first ?? "") {
        case ("GET", "api") where parts.count >= 6 && parts[1] == "models" && parts[4] == "revision":
            return revisionInfo("\(parts[2])/\(parts[3])", revision: parts[5...].joined(separator: "/"))
        case ("POST", "api") where parts.count == 3 && parts[1] == "repos" && parts[2] == "create":
            return createRepo(request.body)
        case ("POST", "api") where parts.count == 6 && parts[1] == "models" && parts[4] == "branch":
            return createBranch("\(parts[2])/\(parts[3])", branch: parts[5])
        case ("POST", "api") where parts.count == 6 && parts[1] == "models" && parts[4] == "preupload":
            return preupload("\(parts[2])/\(parts[3])", branch: parts[5], body: request.body)
        case ("POST", "api") where parts.count == 6 && parts[1] == "models" && parts[4] == "commit":
            return commit("\(parts[2])/\(parts[3])", branch: parts[5], body: request.body)
        case ("POST", _) where parts.count == 6 && parts[1].hasSuffix(".git") && parts[2...].joined(separator: "/") == "info/lfs/objects/batch":
            return lfsBatch(request.body)
        case ("POST", "lfs-verify"):
            return lfsVerify(request.body)
        case ("GET", _), ("HEAD", _):
            if parts.count >= 5 && parts[2] == "resolve" { return resolve("\(parts[0])/\(parts[1])", revision: parts[3], path: parts[4...].joined(separator: "/"), range: request.headers["range"]) }
        default: break
        }
        return .json(404, ["error": "no route for \(request.method) \(request.path)"])
    }

    private func notFound(_ code: String) -> TestHTTPResponse { .json(404, ["error": code], headers: ["X-Error-Code": code]) }

    private func lookup(_ repo: String, _ revision: String) -> (String, [String: Data])? {
        locked {
            guard let state = repos[repo] else { return nil }
            let commit = state.branches[revision] ?? (state.commits[revision] != nil ? revision : nil)
            return commit.flatMap { c in state.commits[c].map { (c, $0) } }
        }
    }

    private func revisionInfo(_ repo: String, revision: String) -> TestHTTPResponse {
        guard locked({ repos[repo] }) != nil else { return notFound("RepoNotFound") }
        guard let (commit, files) = lookup(repo, revision) else { return notFound("RevisionNotFound") }
        let siblings: [[String: Any]] = files.keys.sorted().map { path in
            let data = files[path]!
            var entry: [String: Any] = ["rfilename": path, "size": data.count]
            if Self.isLFS(path, size: data.count) {
                let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:\(ContentHash.sha256(data))\nsize \(data.count)\n"
                entry["blobId"] = ContentHash.gitBlobID(Data(pointer.utf8))
                entry["lfs"] = ["sha256": ContentHash.sha256(data), "size": data.count, "pointerSize": pointer.utf8.count]
            } else {
                entry["blobId"] = ContentHash.gitBlobID(data)
            }
            return entry
        }
        return .json(200, ["id": repo, "sha": commit, "private": locked { repos[repo]!.isPrivate }, "siblings": siblings])
    }

    private func resolve(_ repo: String, revision: String, path: String, range: String?) -> TestHTTPResponse {
        guard let (commit, files) = lookup(repo, revision) else { return notFound("RevisionNotFound") }
        guard var data = files[path] else { return notFound("EntryNotFound") }
        if let tampered = tamperedFiles[path] { data = tampered }
        if let base = lfsRedirectBase, Self.isLFS(path, size: data.count) {
            return TestHTTPResponse(status: 302, headers: ["Location": base.appendingPathComponent(ContentHash.sha256(data)).absoluteString,
                                                           "X-Repo-Commit": commit, "X-Linked-Size": "\(data.count)"])
        }
        var headers = ["X-Repo-Commit": commit, "ETag": "\"\(ContentHash.gitBlobID(data))\"", "Accept-Ranges": "bytes"]
        if Self.isLFS(path, size: data.count) { headers["X-Linked-Etag"] = "\"\(ContentHash.sha256(data))\""; headers["X-Linked-Size"] = "\(data.count)" }
        var status = 200
        if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let start = Int(range.dropFirst(6).dropLast()) {
            guard start < data.count else { return TestHTTPResponse(status: 416, headers: ["Content-Range": "bytes */\(data.count)"]) }
            headers["Content-Range"] = "bytes \(start)-\(data.count - 1)/\(data.count)"
            data = Data(data[start...])
            status = 206
        }
        return TestHTTPResponse(status: status, headers: headers, body: data, truncateBodyAt: truncateDownloadsAt)
    }

    private func createRepo(_ body: Data) -> TestHTTPResponse {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let name = object["name"] as? String,
              let organization = object["organization"] as? String, (object["type"] as? String ?? "model") == "model" else {
            return .json(400, ["error": "malformed create request"])
        }
        let id = "\(organization)/\(name)"
        return locked {
            if repos[id] != nil { return .json(409, ["error": "You already created this model repo", "url": "\(endpoint)/\(id)"]) }
            // Current clients send `visibility`; older ones `private`.
            let isPrivate = (object["visibility"] as? String).map { $0 == "private" } ?? (object["private"] as? Bool ?? false)
            var state = Repo(isPrivate: isPrivate, branches: [:], commits: [:])
            state.branches["main"] = newCommit([".gitattributes": Data("*.safetensors filter=lfs diff=lfs merge=lfs -text\n".utf8)], into: &state)
            repos[id] = state
            return .json(200, ["url": "\(endpoint)/\(id)", "name": id])
        }
    }

    private func createBranch(_ repo: String, branch: String) -> TestHTTPResponse {
        locked {
            guard var state = repos[repo], let main = state.branches["main"] else { return notFound("RepoNotFound") }
            if state.branches[branch] != nil { return .json(409, ["error": "branch exists"]) }
            state.branches[branch] = main
            repos[repo] = state
            return .json(200, [:])
        }
    }

    private func preupload(_ repo: String, branch: String, body: Data) -> TestHTTPResponse {
        guard let (_, files) = lookup(repo, branch) else { return notFound("RevisionNotFound") }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let entries = object["files"] as? [[String: Any]] else {
            return .json(400, ["error": "malformed preupload request"])
        }
        var answers: [[String: Any]] = []
        for entry in entries {
            guard let path = entry["path"] as? String, let size = entry["size"] as? Int, let sample = (entry["sample"] as? String).flatMap({ Data(base64Encoded: $0) }),
                  sample.count <= 512 else { return .json(400, ["error": "malformed preupload entry"]) }
            let lfs = Self.isLFS(path, size: size)
            var answer: [String: Any] = ["path": path, "uploadMode": lfs ? "lfs" : "regular", "shouldIgnore": false]
            if let existing = files[path] { answer["oid"] = lfs ? ContentHash.sha256(existing) : ContentHash.gitBlobID(existing) }
            answers.append(answer)
        }
        return .json(200, ["files": answers])
    }

    private func lfsBatch(_ body: Data) -> TestHTTPResponse {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], object["operation"] as? String == "upload",
              object["hash_algo"] as? String == "sha256", let objects = object["objects"] as? [[String: Any]] else {
            return .json(422, ["message": "malformed batch request"])
        }
        let answers: [[String: Any]] = objects.map { entry in
            let oid = entry["oid"] as? String ?? "", size = entry["size"] as? Int ?? -1
            if locked({ lfsObjects[oid] }) != nil { return ["oid": oid, "size": size] }
            return ["oid": oid, "size": size, "actions": [
                "upload": ["href": "\(endpoint)/lfs-upload/\(oid)?signature=\(Self.signature(oid))", "header": ["X-Test-Upload": "1"]],
                "verify": ["href": "\(endpoint)/lfs-verify"],
            ]]
        }
        return TestHTTPResponse(status: 200, headers: ["Content-Type": "application/vnd.git-lfs+json"],
                                body: try! JSONSerialization.data(withJSONObject: ["transfer": "basic", "objects": answers]))
    }

    /// A stand-in for a presigned URL's signature.
    private static func signature(_ oid: String) -> String { String(ContentHash.sha256(Data("presigned \(oid)".utf8)).prefix(16)) }

    private func lfsUpload(oid: String, body: Data) -> TestHTTPResponse {
        guard ContentHash.sha256(body) == oid else { return .json(400, ["error": "content does not match oid"]) }
        locked { lfsObjects[oid] = body }
        return TestHTTPResponse(status: 200)
    }

    private func lfsVerify(_ body: Data) -> TestHTTPResponse {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let oid = object["oid"] as? String,
              let size = object["size"] as? Int, locked({ lfsObjects[oid]?.count }) == size else {
            return .json(404, ["error": "object not uploaded"])
        }
        return .json(200, [:])
    }

    private func commit(_ repo: String, branch: String, body: Data) -> TestHTTPResponse {
        guard let (_, parent) = lookup(repo, branch) else { return notFound("RevisionNotFound") }
        var files = parent
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n")
        guard let first = lines.first, let header = try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any],
              header["key"] as? String == "header", (header["value"] as? [String: Any])?["summary"] is String else {
            return .json(400, ["error": "the first line must be the header"])
        }
        for line in lines.dropFirst() {
            guard let item = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let value = item["value"] as? [String: Any],
                  let path = value["path"] as? String else { return .json(400, ["error": "malformed commit line"]) }
            switch item["key"] as? String {
            case "file":
                guard value["encoding"] as? String == "base64", let content = (value["content"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
                    return .json(400, ["error": "malformed file line"])
                }
                files[path] = content
            case "lfsFile":
                guard value["algo"] as? String == "sha256", let oid = value["oid"] as? String, let object = locked({ lfsObjects[oid] }),
                      object.count == value["size"] as? Int else { return .json(422, ["error": "LFS object \(path) was not uploaded"]) }
                files[path] = object
            default:
                return .json(400, ["error": "unknown commit line"])
            }
        }
        return locked {
            var state = repos[repo]!
            let commit = newCommit(files, into: &state)
            state.branches[branch] = commit
            repos[repo] = state
            return .json(200, ["commitUrl": "\(endpoint)/\(repo)/commit/\(commit)", "commitOid": commit])
        }
    }
}
