import FaultlineNetShims
import FaultlineTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Bulk TCP traffic from inside a host namespace to a listener of the test's (the
/// controller's side), counting what arrives: the workload a bandwidth fault shapes.
/// `stop()` (in `defer`) closes both ends and waits for the threads.
final class BulkFlow: @unchecked Sendable {
    private let listener: Int32
    private let sender: Int32
    private let receiver: Int32
    private let lock = NSLock()
    private var received = 0
    private var stopped = false
    private let done = DispatchGroup()

    /// Connects from `namespace` to `address:port` (in the test's namespace) and starts sending.
    init(from namespace: String, to address: String, port: UInt16) throws {
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listening, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sa = sockaddr_in(address, port)
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listening, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listening, 4) == 0 else {
            close(listening)
            throw TestFailure("bulk listener \(address):\(port): \(String(cString: strerror(errno)))")
        }
        // A socket made inside the namespace stays there; it may be used from any thread.
        let fd = try Self.socketInside(namespace)
        var target = sockaddr_in(address, port)
        let connected = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let accepted = connected == 0 ? accept(listening, nil, nil) : -1
        guard accepted >= 0 else {
            close(fd); close(listening)
            throw TestFailure("bulk connect to \(address):\(port) failed: \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(accepted, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        listener = listening
        sender = fd
        receiver = accepted
        done.enter()
        Thread { [self] in sendLoop(); done.leave() }.start()
        done.enter()
        Thread { [self] in receiveLoop(); done.leave() }.start()
    }

    private static func socketInside(_ namespace: String) throws -> Int32 {
        try NetNamespace.run(in: .named(namespace)) { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func sendLoop() {
        let chunk = [UInt8](repeating: 0x5A, count: 16 * 1024)
        while !isStopped {
            if send(sender, chunk, chunk.count, Int32(MSG_NOSIGNAL)) < 0 && errno != EAGAIN && errno != EINTR { return }
        }
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !isStopped {
            let got = recv(receiver, &buffer, buffer.count, 0)
            if got > 0 { lock.withLock { received += got } } else if got == 0 || (errno != EAGAIN && errno != EINTR) { return }
        }
    }

    /// Bytes the listener has received so far.
    var bytesReceived: Int { lock.withLock { received } }

    func stop() {
        let first = lock.withLock { defer { stopped = true }; return !stopped }
        guard first else { return }
        done.wait()
        close(sender); close(receiver); close(listener)
    }
}
