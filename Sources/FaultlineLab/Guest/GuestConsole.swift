#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The lab's way into a guest: a shell on the guest's second serial port, which QEMU
/// connects to `guests/NAME.console` in the lab folder. Tests use it to start traffic and
/// read what a guest sees; `faultline lab exec` exposes it.
///
/// Each call first waits until the guest's shell answers, then sends one command line
/// (argv quoted for the shell, never interpreted) and reads until an end marker carrying a
/// per-call token and the exit status, so output of an earlier, timed-out call is never
/// taken for this one's.
public struct GuestConsole: Sendable {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    public init(labDirectory: String, guest: String) {
        self.socketPath = GuestMachine.folder(labDirectory) + "/\(guest).console"
    }

    public func run(_ argv: [String], timeout: TimeInterval = 30) throws -> Result {
        guard !argv.isEmpty else { throw LabError.invalid("guest console: empty command") }
        let fd = try connect()
        defer { close(fd) }
        let token = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        let deadline = Date().addingTimeInterval(timeout)
        var received = [UInt8]()
        // The guest's shell listens again ~0.2 s after the previous caller left, and the
        // guest kernel drops what arrives on the port while the old shell is closing it. So
        // first wait for an answer to a harmless echo (resent until one comes back); only
        // then send the command, which must run exactly once.
        let ready = "__FL_ READY_\(token)\n"
        let readyLine = "printf '%s %s\\n' __FL_ 'READY_\(token)'\n"
        var nextProbe = Date()
        while !text(received).contains(ready) {
            if Date() >= nextProbe {
                try sendAll(fd, Array(readyLine.utf8))
                nextProbe = Date().addingTimeInterval(0.5)
            }
            try receive(fd, into: &received, until: min(nextProbe, deadline), argv: argv)
            guard Date() < deadline else {
                throw LabError.notReady(what: "guest console \(socketPath): the guest's shell did not answer within \(Int(timeout)) s", log: text(received))
            }
        }
        // The marker is printed by printf from pieces, so the command's own text never contains it.
        let line = argv.map(Self.quoted).joined(separator: " ")
            + " </dev/null 2>&1; printf '\\n%s %s %d\\n' __FL_ 'END_\(token)' $?\n"
        try sendAll(fd, Array(line.utf8))
        let marker = "__FL_ END_\(token) "
        while true {
            let all = text(received)
            if let range = all.range(of: marker), let end = all[range.upperBound...].firstIndex(of: "\n") {
                let status = Int32(all[range.upperBound..<end]) ?? -1
                // Output starts after the last readiness answer (a resent echo may answer twice).
                let start = all.range(of: ready, options: .backwards, range: all.startIndex..<range.lowerBound)?.upperBound ?? all.startIndex
                var output = String(all[start..<range.lowerBound])
                if output.hasSuffix("\n") { output.removeLast() }
                return Result(status: status, output: output)
            }
            guard Date() < deadline else {
                throw LabError.notReady(what: "guest console \(socketPath): `\(argv.joined(separator: " "))` did not finish within \(Int(timeout)) s", log: all)
            }
            try receive(fd, into: &received, until: deadline, argv: argv)
        }
    }

    /// Carriage returns dropped: a tty that turns "\n" into "\r\n" must not hide a marker's
    /// line end ("\r\n" is one Character in Swift).
    private func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.filter { $0 != 13 }, as: UTF8.self)
    }

    /// Appends what arrives before `until` (at most one read).
    private func receive(_ fd: Int32, into received: inout [UInt8], until: Date, argv: [String]) throws {
        let remaining = until.timeIntervalSinceNow
        guard remaining > 0 else { return }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000) + 1)
        if ready < 0 && errno != EINTR { throw LabError.system(call: "poll(console)", errno: errno) }
        guard ready > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno != EINTR { throw LabError.system(call: "read(console)", errno: errno) }
        if n == 0 { throw LabError.notReady(what: "guest console \(socketPath) closed", log: text(received)) }
        if n > 0 { received += buffer[0..<n] }
    }

    /// Single quotes, with embedded ones closed, escaped and reopened: the shell reads every
    /// argument literally.
    static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private func connect() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError.system(call: "socket(AF_UNIX)", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw LabError.invalid("console socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw LabError.system(call: "connect(\(socketPath))", errno: error)
        }
        return fd
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LabError.system(call: "write(console)", errno: errno)
            }
            offset += n
        }
    }
}
