// The Hub HTTP API calls runner uses, with request and response shapes as huggingface_hub sends and
// reads them: model info at a revision, repo creation, preupload, LFS batch, commit.
import Basics
import Foundation

/// One file of a repository at a commit (`siblings` of `/api/models/{repo}/revision/{rev}?blobs=true`).
public struct HubFileInfo: Hashable, Sendable {
    public var path: String
    public var size: Int64
    /// Git blob id (sha1) of the file (for LFS files: of the pointer).
    public var blobID: String
    /// SHA-256 of the content for LFS files.
    public var lfsSHA256: String?

    /// The name huggingface_hub gives the cached blob: the LFS sha256, else the git blob id.
    public var etag: String { lfsSHA256 ?? blobID }
}

/// A repository at a commit.
public struct HubRevisionInfo: Sendable {
    public var commit: String
    public var files: [HubFileInfo]
}

struct HubAPI {
    let environment: HubEnvironment
    let client: HTTPClient

    init(environment: HubEnvironment, timeout: TimeInterval = 60) {
        self.environment = environment
        self.client = HTTPClient(endpoint: environment.endpoint, token: environment.token, timeout: timeout)
    }

    var redactor: Redactor { client.redactor }

    func url(_ path: String, query: String? = nil) -> URL {
        var text = environment.endpoint.absoluteString + path
        if let query { text += "?" + query }
        return URL(string: text)!
    }

    static func escape(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? component
    }

    /// Escapes each `/`-separated part of a path in the repository.
    static func escapePath(_ path: String) -> String { path.split(separator: "/").map { escape(String($0)) }.joined(separator: "/") }

    func check(_ response: HTTPResponse, _ what: String) throws {
        guard response.isSuccess else {
            throw HubHTTPError.make(what, response, redactor: redactor, tokenPresent: environment.token != nil)
        }
    }

    func json(_ response: HTTPResponse, _ what: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw RunnerError(what, "the Hub sent a response that is not a JSON object", hint: "check HF_ENDPOINT")
        }
        return object
    }

    /// `GET /api/models/{repo}/revision/{rev}?blobs=true`: the commit and every file with its size and hashes.
    func revisionInfo(_ repo: HubRepoID, revision: String) throws -> HubRevisionInfo {
        let what = "hf://\(repo)@\(revision)"
        let response = try client.send(HTTPRequest("GET", url("/api/models/\(repo)/revision/\(Self.escape(revision))", query: "blobs=true")))
        try check(response, what)
        let object = try json(response, what)
        guard let commit = object["sha"] as? String, HubSource.isCommitHash(commit) else {
            throw RunnerError(what, "the Hub's answer has no commit id (`sha`)", hint: "check HF_ENDPOINT")
        }
        var files: [HubFileInfo] = []
        for sibling in object["siblings"] as? [[String: Any]] ?? [] {
            guard let path = sibling["rfilename"] as? String else { continue }
            let lfs = sibling["lfs"] as? [String: Any]
            let size = (lfs?["size"] as? NSNumber ?? sibling["size"] as? NSNumber)?.int64Value
            guard let size, size >= 0, let blobID = sibling["blobId"] as? String else {
                throw RunnerError(what, "the Hub's file list lacks the size or blob id of `\(path)`", hint: "check HF_ENDPOINT")
            }
            files.append(HubFileInfo(path: path, size: size, blobID: blobID, lfsSHA256: lfs?["sha256"] as? String))
        }
        return HubRevisionInfo(commit: commit, files: files)
    }

    /// The URL of a file's bytes at a commit.
    func resolveURL(_ repo: HubRepoID, commit: String, path: String) -> URL {
        url("/\(repo)/resolve/\(Self.escape(commit))/\(Self.escapePath(path))")
    }
}
