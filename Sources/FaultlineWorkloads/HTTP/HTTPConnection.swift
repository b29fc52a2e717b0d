/// A blocking HTTP/1.1 client connection to one server, reused across requests
/// (keep-alive) when the server allows it.
///
/// Every request ends in a response or a `RequestFailure` saying whether the request
/// could have reached the server (see `RequestFailure`). After any failure the socket is
/// closed, since its state is unknown; the next request connects afresh.
/// Not thread-safe: one client thread owns one connection.
public final class HTTPConnection {
    public let host: String
    public let port: UInt16
    public let connectTimeout: Duration
    public let keepAlive: Bool
    private var socket: TCPSocket?
    /// Bytes received past the end of the previous response (a server should send none).
    private var leftover: [UInt8] = []

    /// - Parameters:
    ///   - connectTimeout: the longest a connect may take, within each request's timeout.
    ///   - keepAlive: reuse the connection between requests; off sends `Connection: close`.
    public init(host: String, port: UInt16, connectTimeout: Duration = .seconds(1), keepAlive: Bool = true) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.keepAlive = keepAlive
    }

    deinit { socket?.close() }

    /// Sends one request and waits for its whole response, all within `timeout`.
    ///
    /// - Parameters:
    ///   - target: the request target, e.g. `/v3/kv/put` (already percent-encoded).
    ///   - headers: extra header fields; Host, Content-Length and Connection are added.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [],
                        body: [UInt8] = [], timeout: Duration) throws(RequestFailure) -> HTTPResponse {
        let deadline = Deadline.after(timeout)
        let connection = try connectedSocket(deadline: deadline)
        do {
            try connection.sendRequest(encode(method, target, headers: headers, body: body), deadline: deadline)
        } catch {
            close()
            throw error
        }
        var received = leftover
        leftover = []
        var atEnd = false
        while true {
            switch HTTPResponseParser.parse(received, requestMethod: method, atEndOfStream: atEnd) {
            case .complete(let response, let consumed):
                leftover = Array(received[consumed...])
                let serverCloses = response.header("Connection")?.lowercased() == "close"
                if atEnd || serverCloses || !keepAlive { close() }
                return response
            case .malformed(let reason):
                close()
                throw .noCompleteAnswer("malformed response: \(reason)")
            case .incomplete:
                if atEnd {
                    close()
                    throw .noCompleteAnswer(received.isEmpty ? "connection closed before any reply" : "connection closed mid-reply")
                }
            }
            do {
                let chunk = try connection.receive(deadline: deadline)
                if chunk.isEmpty { atEnd = true } else { received += chunk }
            } catch {
                close()
                throw .noCompleteAnswer("\(error)")
            }
        }
    }

    public func close() {
        socket?.close()
        socket = nil
        leftover = []
    }

    private func connectedSocket(deadline: Deadline) throws(RequestFailure) -> TCPSocket {
        if let socket, socket.isIdleAndOpen, leftover.isEmpty { return socket }
        close()
        let fresh = try TCPSocket.connectForRequest(host: host, port: port, deadline: deadline, connectTimeout: connectTimeout)
        socket = fresh
        return fresh
    }

    private func encode(_ method: String, _ target: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        // An IPv6 literal goes in brackets in Host (RFC 9110 §7.2, RFC 3986 §3.2.2).
        let hostField = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(hostField)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        if !keepAlive { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}
