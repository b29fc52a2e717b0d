#if canImport(Glibc)
import Glibc
#endif

/// A connected TCP socket whose every step has a deadline.
///
/// The socket is non-blocking and each step waits in poll(2) for at most the time left,
/// so a client thread never blocks past its operation's timeout however the server or
/// the network misbehaves. Not thread-safe: one client thread owns one socket.
final class TCPSocket {
    /// Why a step failed.
    enum Failure: Error, CustomStringConvertible {
        case system(SocketError)
        case timedOut(String)
        /// The peer closed its end before the step finished.
        case closedByPeer

        var description: String {
            switch self {
            case .system(let error): error.description
            case .timedOut(let step): "timed out \(step)"
            case .closedByPeer: "connection closed by peer"
            }
        }
    }

    private(set) var descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close() }

    /// Connects to `host` (a numeric IPv4/IPv6 address or a name) and `port`.
    static func connect(host: String, port: UInt16, deadline: Deadline) throws(Failure) -> TCPSocket {
        let address = try resolve(host: host, port: port)
        let fd = socket(Int32(address.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(SocketError(call: "socket", code: errno)) }
        let connection = TCPSocket(descriptor: fd)
        // Small requests and replies: do not let Nagle hold a request back for an ACK.
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        if result == 0 { return connection }
        guard errno == EINPROGRESS || errno == EINTR else {
            throw .system(SocketError(call: "connect", code: errno))
        }
        try connection.wait(for: Int16(POLLOUT), deadline: deadline, step: "connecting to \(host):\(port)")
        var pending: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) == 0 else {
            throw .system(SocketError(call: "getsockopt(SO_ERROR)", code: errno))
        }
        guard pending == 0 else { throw .system(SocketError(call: "connect", code: pending)) }
        return connection
    }

    /// Writes all of `bytes`. `written` counts what the kernel accepted, also when this
    /// throws: the caller needs it to tell "not sent" from "maybe sent".
    func send(_ bytes: [UInt8], written: inout Int, deadline: Deadline) throws(Failure) {
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress! + written, bytes.count - written, Int32(MSG_NOSIGNAL))
            }
            if count > 0 { written += count; continue }
            if count < 0 && (errno == EAGAIN || errno == EINTR) {
                try wait(for: Int16(POLLOUT), deadline: deadline, step: "sending")
                continue
            }
            throw .system(SocketError(call: "send", code: errno))
        }
    }

    /// Reads what is available, up to `limit` bytes, waiting until the deadline for at
    /// least one. An empty result means the peer closed its end.
    func receive(limit: Int = 65536, deadline: Deadline) throws(Failure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress!, limit, 0)
            }
            if count >= 0 {
                buffer.removeLast(limit - count)
                return buffer
            }
            if errno == EAGAIN || errno == EINTR {
                try wait(for: Int16(POLLIN), deadline: deadline, step: "waiting for the reply")
                continue
            }
            throw .system(SocketError(call: "recv", code: errno))
        }
    }

    /// True if the connection looks reusable: nothing to read and no hang-up. A kept-alive
    /// connection the server closed while idle shows as readable (EOF); sending on it would
    /// turn a request the server never saw into an indeterminate one.
    var isIdleAndOpen: Bool {
        guard descriptor >= 0 else { return false }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)   // EOF and resets read as POLLIN; POLLHUP/POLLERR always reported
        return poll(&entry, 1, 0) == 0
    }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    private func wait(for events: Int16, deadline: Deadline, step: String) throws(Failure) {
        while true {
            let milliseconds = deadline.pollMilliseconds
            guard milliseconds > 0 else { throw .timedOut(step) }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }   // also on POLLERR/POLLHUP: the next call reports it
            if ready < 0 && errno != EINTR { throw .system(SocketError(call: "poll", code: errno)) }
        }
    }

    /// A socket address for `host`:`port`. Numeric addresses are parsed without a lookup;
    /// names go through getaddrinfo(3), which blocks (only at connect, before any deadline
    /// matters for correctness: a request not yet written is still "not sent").
    private struct Address {
        var family: Int32
        var storage: sockaddr_storage
        var length: socklen_t
    }

    private static func resolve(host: String, port: UInt16) throws(Failure) -> Address {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            throw .system(SocketError(call: "getaddrinfo(\(host)): \(reason)", code: status == EAI_SYSTEM ? errno : 0))
        }
        defer { freeaddrinfo(list) }
        var storage = sockaddr_storage()
        let length = min(Int(first.pointee.ai_addrlen), MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: length))
        }
        return Address(family: first.pointee.ai_family, storage: storage, length: socklen_t(length))
    }
}
