// A small synchronous HTTP client over URLSession (libcurl on Linux): JSON requests, streaming
// downloads into a file, file uploads. It adds the bearer token only for the Hub's own host, drops
// it on redirects elsewhere (presigned CDN/S3 URLs), and redacts it from every error.
import Basics
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP response; header names are lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public var isSuccess: Bool { (200..<300).contains(status) }
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// What a request carries. `body` is small (JSON, NDJSON); large files go through `upload`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?

    public init(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public final class HTTPClient: @unchecked Sendable {
    private let token: HubToken?
    /// Host (and port) the token may be sent to: the Hub endpoint's.
    private let authority: String?
    let redactor: Redactor
    private let session: URLSession
    private let delegate: SessionDelegate

    /// `timeout`: seconds without any progress before a request fails.
    public init(endpoint: URL, token: HubToken?, timeout: TimeInterval = 60) {
        self.token = token
        self.authority = Self.authority(of: endpoint)
        self.redactor = Redactor(token: token)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        delegate = SessionDelegate(authority: Self.authority(of: endpoint))
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends `request` and returns the whole response. Throws only when no response arrived.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        try perform(urlRequest(request), sink: nil, uploadFrom: nil)
    }

    /// GETs `url` and appends the body to `sink` as it arrives (for multi-GB files); the returned
    /// response's body is empty on success and holds the (small) error body otherwise.
    /// `isCancelled` is polled as data arrives; when it turns true the transfer stops and this throws
    /// (what arrived so far stays in `sink`, so the download can resume).
    public func download(_ url: URL, headers: [String: String], into sink: FileHandle,
                         isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> HTTPResponse {
        try perform(urlRequest(HTTPRequest("GET", url, headers: headers)), sink: sink, uploadFrom: nil, isCancelled: isCancelled)
    }

    /// PUTs the file at `file` as the request body (streamed from disk).
    public func upload(_ url: URL, file: URL, headers: [String: String] = [:]) throws -> HTTPResponse {
        try perform(urlRequest(HTTPRequest("PUT", url, headers: headers)), sink: nil, uploadFrom: file)
    }

    private func urlRequest(_ request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        urlRequest.setValue("runner (Swift; +huggingface_hub compatible)", forHTTPHeaderField: "User-Agent")
        urlRequest.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let token, Self.authority(of: request.url) == authority {
            urlRequest.setValue("Bearer \(token.value)", forHTTPHeaderField: "Authorization")
        }
        return urlRequest
    }

    private func perform(_ request: URLRequest, sink: FileHandle?, uploadFrom file: URL?,
                         isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> HTTPResponse {
        let task: URLSessionTask
        if let file { task = session.uploadTask(with: request, fromFile: file) } else { task = session.dataTask(with: request) }
        let state = TaskState(sink: sink, isCancelled: isCancelled)
        delegate.register(task, state)
        task.resume()
        state.done.wait()
        delegate.unregister(task)
        let where_ = "\(request.httpMethod ?? "GET") \(redactor.redact(request.url?.absoluteString ?? ""))"
        if let error = state.writeError {
            throw RunnerError(where_, "cannot write the download: \(error)", hint: "check free disk space")
        }
        if state.cancelled { throw RunnerError(where_, "cancelled") }
        if let error = state.error {
            throw RunnerError(where_, redactor.redact("request failed: \(error.localizedDescription)"),
                              hint: "check the network and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the local cache")
        }
        guard let response = state.response else { throw RunnerError(where_, "no response") }
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return HTTPResponse(status: response.statusCode, headers: headers, body: state.body)
    }

    static func authority(of url: URL) -> String? {
        url.host.map { $0.lowercased() + ":" + String(url.port ?? (url.scheme == "http" ? 80 : 443)) }
    }
}

/// One request's progress, filled by the session delegate's callbacks.
private final class TaskState: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    let sink: FileHandle?
    let isCancelled: @Sendable () -> Bool
    var response: HTTPURLResponse?
    var body = Data()
    var error: (any Error)?
    var writeError: String?
    var cancelled = false

    init(sink: FileHandle?, isCancelled: @escaping @Sendable () -> Bool) {
        self.sink = sink
        self.isCancelled = isCancelled
    }

    /// Streams successful download bodies to the sink; keeps error bodies (small) in memory.
    func receive(_ data: Data, task: URLSessionTask) {
        if isCancelled() {
            cancelled = true
            task.cancel()
            return
        }
        if let sink, let status = response?.statusCode, (200..<300).contains(status) {
            guard writeError == nil else { return }
            do { try sink.write(contentsOf: data) } catch { writeError = "\(error)" }
        } else if body.count < 1 << 20 {
            body.append(data)
        }
    }
}

private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var states: [Int: TaskState] = [:]
    private let authority: String?

    init(authority: String?) { self.authority = authority }

    func register(_ task: URLSessionTask, _ state: TaskState) {
        lock.lock(); states[task.taskIdentifier] = state; lock.unlock()
    }

    func unregister(_ task: URLSessionTask) {
        lock.lock(); states[task.taskIdentifier] = nil; lock.unlock()
    }

    private func state(_ task: URLSessionTask) -> TaskState? {
        lock.lock(); defer { lock.unlock() }
        return states[task.taskIdentifier]
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        state(dataTask)?.response = response as? HTTPURLResponse
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        state(dataTask)?.receive(data, task: dataTask)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let state = state(task) else { return }
        if state.response == nil { state.response = task.response as? HTTPURLResponse }
        state.error = error
        state.done.signal()
    }

    /// Follows redirects, but never carries the token to another host (presigned CDN URLs).
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        var next = request
        if let url = request.url, HTTPClient.authority(of: url) != authority {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }
}
