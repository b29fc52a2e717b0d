#if canImport(Glibc)
import Glibc
#endif
import FaultlineCore
import FaultlinePlan

/// `tcp:` probes: can a connection to `address` be opened within the timeout?
///
/// A non-blocking connect waited on with poll(2), so the timeout is exact whether the
/// peer refuses (a failure at once) or its packets are dropped (a failure at the timeout).
enum TCPProbeRunner {
    static func run(_ probe: TCPProbe, host: Host?, timeout: TimeSpan) async -> ProbeObservation {
        let address = HostTemplate.fill(probe.address, host: host)
        let seconds = (probe.timeout ?? timeout).seconds
        return await Blocking.run("fl-probe-tcp") {
            let started = Monotonic.seconds()
            let problem = connect(address, timeoutSeconds: seconds)
            let took = Monotonic.seconds() - started
            if let problem {
                return ProbeObservation(host: host?.name, ok: false, value: nil, detail: "connect \(address): \(problem)", durationSeconds: took)
            }
            return ProbeObservation(host: host?.name, ok: true, value: took * 1000,
                                    detail: "connected to \(address) in \(String(format: "%.1f", took * 1000)) ms", durationSeconds: took)
        }
    }

    /// Splits `host:port` or `[v6]:port`.
    static func split(_ address: String) -> (host: String, port: UInt16)? {
        if address.first == "[" {
            guard let close = address.firstIndex(of: "]") else { return nil }
            let host = address[address.index(after: address.startIndex)..<close]
            let rest = address[address.index(after: close)...]
            guard rest.first == ":", let port = UInt16(rest.dropFirst()), port > 0 else { return nil }
            return (String(host), port)
        }
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]), port > 0 else { return nil }
        let host = address[..<colon]
        guard !host.isEmpty, !host.contains(":") else { return nil }
        return (String(host), port)
    }

    /// nil when connected; otherwise why not.
    static func connect(_ address: String, timeoutSeconds: Double) -> String? {
        guard let (host, port) = split(address) else { return "expected host:port or [ipv6]:port" }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { return "cannot resolve '\(host)': \(String(cString: gai_strerror(rc)))" }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS || errno == EINTR else { return String(cString: strerror(errno)) }
        let deadline = Monotonic.seconds() + timeoutSeconds
        while true {
            let left = deadline - Monotonic.seconds()
            if left <= 0 { return "timed out after \(TimeSpan(nanoseconds: Int64(timeoutSeconds * 1e9)))" }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let n = poll(&pfd, 1, Int32(max(1, (left * 1000).rounded(.up))))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return "poll: \(String(cString: strerror(errno)))" }
            if n == 0 { continue }
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) == 0 else { return "getsockopt: \(String(cString: strerror(errno)))" }
            return pending == 0 ? nil : String(cString: strerror(pending))
        }
    }
}
