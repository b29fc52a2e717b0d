#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A blocking HTTP/1.0 exchange with a service inside the lab (etcd's `/health`,
/// `/v3/...`): one connection per request, a deadline on connect, send and receive.
///
/// HTTP/1.0 so the server answers with a plain body closed by EOF (no chunking to undo).
/// IPv4 addresses only: the lab's subnet is 10.77.N.0/24.
public enum LabHTTP {
    public struct Response: Sendable {
        public var status: Int
        public var body: String
    }

    public static func request(_ method: String, address: String, port: Int, path: String,
                               body: String? = nil, timeout: TimeInterval = 2) throws -> Response {
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else { throw LabError.invalid("not an IPv4 address: \(address)") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw LabError.system(call: "socket", errno: errno) }
        defer { close(fd) }
        let deadline = Date().addingTimeInterval(timeout)
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            guard errno == EINPROGRESS else { throw LabError.system(call: "connect(\(address):\(port))", errno: errno) }
            try wait(fd, for: Int16(POLLOUT), until: deadline, what: "connect to \(address):\(port)")
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw LabError.system(call: "connect(\(address):\(port))", errno: error) }
        }
        var text = "\(method) \(path) HTTP/1.0\r\nHost: \(address):\(port)\r\n"
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            try wait(fd, for: Int16(POLLOUT), until: deadline, what: "send to \(address):\(port)")
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; throw LabError.system(call: "send", errno: errno) }
            bytes = bytes.dropFirst(n)
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            try wait(fd, for: Int16(POLLIN), until: deadline, what: "answer from \(address):\(port)")
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; throw LabError.system(call: "recv", errno: errno) }
            if n == 0 { break }
            answer += buffer[0..<n]
            guard answer.count < 4 << 20 else { break }
        }
        let whole = String(decoding: answer, as: UTF8.self)
        guard let statusLine = whole.split(separator: "\r\n", maxSplits: 1).first,
              let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw LabError.invalid("\(address):\(port) did not answer HTTP")
        }
        let bodyText = whole.range(of: "\r\n\r\n").map { String(whole[$0.upperBound...]) } ?? ""
        return Response(status: status, body: bodyText)
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: Date, what: String) throws {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw LabError.invalid("no \(what) in time") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, Int32(max(1, remaining * 1000)))
            if r > 0 { return }
            if r < 0 && errno != EINTR { throw LabError.system(call: "poll", errno: errno) }
        }
    }
}
