// TEST DOUBLE — not the Hub. A minimal HTTP/1.1 server on a loopback socket for HubTests: one
// thread per connection, one request per connection (`Connection: close`). `FakeHub` routes it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct TestHTTPRequest {
    var method: String
    var target: String
    var headers: [String: String]  // lower-cased names
    var body: Data

    var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    var query: String { target.contains("?") ? String(target.split(separator: "?", maxSplits: 1)[1]) : "" }
}

struct TestHTTPResponse {
    var status: Int
    var headers: [String: String] = [:]
    var body: Data = Data()
    /// Fault injection: send only this many body bytes (with the full Content-Length), then close.
    var truncateBodyAt: Int? = nil

    static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> TestHTTPResponse {
        var all = headers
        all["Content-Type"] = "application/json"
        return TestHTTPResponse(status: status, headers: all, body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}

final class HTTPTestServer: @unchecked Sendable {
    private let listener: Int32
    let port: UInt16
    private let handler: @Sendable (TestHTTPRequest) -> TestHTTPResponse

    init(handler: @escaping @Sendable (TestHTTPRequest) -> TestHTTPResponse) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw CocoaError(.fileWriteUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [handler] in
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 { if errno == EINTR { continue } else { return } }
                Thread.detachNewThread { Self.serve(connection, handler) }
            }
        }
    }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ fd: Int32, _ handler: (TestHTTPRequest) -> TestHTTPResponse) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = Data()
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return false }
            buffer.append(contentsOf: chunk[0 ..< n])
            return true
        }
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil { guard fill() else { return } }
        let headerEnd = buffer.range(of: separator)!
        let head = String(decoding: buffer[..<headerEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        buffer = Data(buffer[headerEnd.upperBound...])
        let requestLine = head[0].split(separator: " ").map(String.init)
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["expect"]?.lowercased() == "100-continue" { send(fd, Data("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        var body = Data()
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                while buffer.range(of: Data("\r\n".utf8)) == nil { guard fill() else { return } }
                let lineEnd = buffer.range(of: Data("\r\n".utf8))!
                let sizeText = String(decoding: buffer[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return }
                buffer = Data(buffer[lineEnd.upperBound...])
                while buffer.count < size + 2 { guard fill() else { return } }
                body.append(buffer.prefix(size))
                buffer = Data(buffer.dropFirst(size + 2))
                if size == 0 { break }
            }
        } else {
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length { guard fill() else { return } }
            body = Data(buffer.prefix(length))
        }
        let response = handler(TestHTTPRequest(method: requestLine[0], target: requestLine[1], headers: headers, body: body))
        var text = "HTTP/1.1 \(response.status) \(reason(response.status))\r\nConnection: close\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(response.body.count)\r\n\r\n"
        send(fd, Data(text.utf8))
        if requestLine[0] != "HEAD" { send(fd, response.truncateBodyAt.map { Data(response.body.prefix($0)) } ?? response.body) }
    }

    private static func send(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private static func reason(_ status: Int) -> String {
        [200: "OK", 206: "Partial Content", 302: "Found", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 416: "Range Not Satisfiable"][status] ?? "Status"
    }
}
