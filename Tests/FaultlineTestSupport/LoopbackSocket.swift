#if canImport(Glibc)
import Glibc
#endif

/// Loopback TCP ports for servers a test starts, and sockets a test listens on itself.
public enum LoopbackSocket {
    /// A listening socket on loopback at a kernel-chosen port: (descriptor, port).
    /// `address` may be any of 127.0.0.0/8 (all loopback on Linux), so several "hosts" can
    /// listen on one port; `port` 0 takes a free one.
    public static func listen(backlog: Int32 = 64, address host: String = "127.0.0.1", port: UInt16 = 0) throws -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw TestFailure("bind/listen \(host):\(port): errno \(code)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// `count` distinct ports that were free a moment ago (bound to port 0 together, then
    /// released), for servers that take their ports on the command line. Another process
    /// could take one in between; tests on this machine use ephemeral ports the same way,
    /// and the kernel hands out ephemeral ports in a rotating order, so a clash is rare.
    public static func freePorts(_ count: Int) throws -> [UInt16] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [UInt16] = []
        for _ in 0..<count {
            let (fd, port) = try listen()
            sockets.append(fd)
            ports.append(port)
        }
        return ports
    }
}
