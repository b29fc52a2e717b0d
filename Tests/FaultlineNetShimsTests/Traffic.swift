import Foundation
@testable import FaultlineNetShims

/// Small traffic generators for the tests. Sockets are created on a thread inside the
/// namespace (a socket belongs to the namespace it was created in for life) and then used
/// from ordinary threads.
enum Traffic {
    static func udpSocket(in namespace: NetNamespace, bind address: String, port: UInt16) throws -> Int32 {
        try NamespaceThread.run(in: .namespace(namespace)) {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw NetShimError.lastErrno("socket") }
            var size: Int32 = 8 << 20
            setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4)
            var addr = socketAddress(address, port)
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { close(fd); throw NetShimError.lastErrno("bind") }
            return fd
        }
    }

    static func socketAddress(_ address: String, _ port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &addr.sin_addr)
        return addr
    }

    static func send(_ fd: Int32, to address: String, port: UInt16, payload: [UInt8]) {
        var addr = socketAddress(address, port)
        _ = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Sends `count` datagrams from `sender` to address:port and counts how many arrive at
    /// `receiver` (paced in bursts of 100 so no buffer overflows).
    static func udpDelivered(count: Int, from sender: Int32, to address: String, port: UInt16,
                             receiver: Int32) -> Int {
        var received = 0
        for index in 0..<count {
            send(sender, to: address, port: port, payload: Array(repeating: UInt8(index & 0xFF), count: 64))
            if index % 100 == 99 {
                usleep(1000)
                received += drain(receiver, waitMilliseconds: 0)
            }
        }
        received += drain(receiver, waitMilliseconds: 150)
        return received
    }

    /// Reads every datagram waiting on fd, waiting up to `waitMilliseconds` for stragglers.
    static func drain(_ fd: Int32, waitMilliseconds: Int32) -> Int {
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, waitMilliseconds) > 0 else { return count }
            if recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) >= 0 { count += 1 }
        }
    }

    static func tcpListener(in namespace: NetNamespace, address: String, port: UInt16) throws -> Int32 {
        try NamespaceThread.run(in: .namespace(namespace)) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw NetShimError.lastErrno("socket") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
            var addr = socketAddress(address, port)
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw NetShimError.lastErrno("bind/listen") }
            return fd
        }
    }

    /// Connects from inside `namespace` (from `sourcePort` when given); nil if no connection
    /// within `timeout` seconds.
    static func tcpConnect(in namespace: NetNamespace, to address: String, port: UInt16,
                           timeout: Double, sourcePort: UInt16? = nil) throws -> Int32? {
        try NamespaceThread.run(in: .namespace(namespace)) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw NetShimError.lastErrno("socket") }
            if let sourcePort {
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
                var local = socketAddress("0.0.0.0", sourcePort)
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard bound == 0 else { close(fd); throw NetShimError.lastErrno("bind(source port \(sourcePort))") }
            }
            var addr = socketAddress(address, port)
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0
            var length = socklen_t(4)
            if poll(&pfd, 1, Int32(timeout * 1000)) == 1,
               getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 {
                let flags = fcntl(fd, F_GETFL)
                _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
                return fd
            }
            close(fd)
            return nil
        }
    }

    static func accept(_ listener: Int32, timeout: Double) -> Int32? {
        var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
        let fd = Glibc.accept(listener, nil, nil)
        return fd >= 0 ? fd : nil
    }

    /// Reads until `count` bytes arrived or `timeout` seconds passed; returns bytes read.
    static func read(_ fd: Int32, count: Int, timeout: Double) -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while total < count {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(remaining * 1000) + 1) == 1 else { continue }
            let got = recv(fd, &buffer, min(buffer.count, count - total), 0)
            if got <= 0 { break }
            total += got
        }
        return total
    }

    /// Bulk TCP transfer from `from` to `to` for about `seconds`; returns megabits per second
    /// measured at the receiver.
    static func tcpThroughput(from: NetNamespace, to: NetNamespace, address: String, port: UInt16,
                              seconds: Double) throws -> Double {
        let listener = try tcpListener(in: to, address: address, port: port)
        defer { close(listener) }
        guard let client = try tcpConnect(in: from, to: address, port: port, timeout: 2) else {
            throw NetShimError.invalidSpec("tcp connect for throughput failed")
        }
        defer { close(client) }
        guard let server = accept(listener, timeout: 2) else {
            throw NetShimError.invalidSpec("tcp accept for throughput failed")
        }
        defer { close(server) }
        let stop = Flag()
        let sender = Thread {
            let chunk = [UInt8](repeating: 0x5A, count: 65536)
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            while !stop.isSet {
                if Glibc.send(client, chunk, chunk.count, Int32(MSG_NOSIGNAL)) < 0 && errno != EAGAIN { break }
            }
        }
        sender.start()
        defer { stop.set() }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        // Skip the first 0.3 s (slow start, bucket burst), then measure.
        let warmup = Date().addingTimeInterval(0.3)
        while Date() < warmup { _ = recv(server, &buffer, buffer.count, 0) }
        let start = Date()
        var bytes = 0
        while Date().timeIntervalSince(start) < seconds {
            var pfd = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) == 1 else { continue }
            let got = recv(server, &buffer, buffer.count, 0)
            if got <= 0 { break }
            bytes += got
        }
        let elapsed = Date().timeIntervalSince(start)
        return Double(bytes) * 8 / elapsed / 1_000_000
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
