import FaultlineNetShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Real traffic for partition tests: a listener inside the host namespace and a connect
/// with a deadline from the root namespace.
enum TCPProbe {
    /// A listening socket inside `namespace` (the socket stays in it for life).
    static func listen(in namespace: String, address: String, port: UInt16) throws -> Int32 {
        try NetNamespace.run(in: .named(namespace)) { () throws -> Int32 in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var sa = sockaddr_in(address, port)
            let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard bound == 0, Glibc.listen(fd, 64) == 0 else {
                close(fd)
                throw NSError(domain: "TCPProbe", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "bind/listen \(address):\(port): \(String(cString: strerror(errno)))"])
            }
            return fd
        }
    }

    /// Whether a TCP handshake with `address:port` completes within `timeout` seconds;
    /// `source` binds the caller's end first (e.g. the controller's address and port 7433).
    static func connects(to address: String, port: UInt16, timeout: Double, from source: (address: String, port: UInt16)? = nil) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        defer { close(fd) }
        if let source {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            // Close with a reset, so no TIME_WAIT holds the fixed source port for the next probe.
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            var local = sockaddr_in(source.address, source.port)
            let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard bound == 0 else { return false }
        }
        var sa = sockaddr_in(address, port)
        let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0
    }
}

extension sockaddr_in {
    init(_ address: String, _ port: UInt16) {
        self.init()
        sin_family = sa_family_t(AF_INET)
        sin_port = port.bigEndian
        inet_pton(AF_INET, address, &sin_addr)
    }
}
