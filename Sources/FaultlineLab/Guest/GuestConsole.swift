#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The lab's way into a guest: a shell on the guest's second serial port, which QEMU
/// connects to `guests/NAME.console` in the lab folder. Tests use it to start traffic and
/// read what a guest sees; `faultline lab exec` exposes it.
///
/// Each call sends one command line (argv quoted for the shell, never interpreted) and
/// reads until an end marker carrying a per-call token and the exit status, so output of
/// an earlier, timed-out call is never taken for this one's.
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
        // The marker is printed by printf from pieces, so the command's own text never contains it.
        let line = argv.map(Self.quoted).joined(separator: " ")
            + " </dev/null 2>&1; printf '\\n%s %s %d\\n' __FL_ 'END_\(token)' $?\n"
        try sendAll(fd, Array(line.utf8))
        let marker = "__FL_ END_\(token) "
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            // Carriage returns dropped first: a tty that translates "\n" into "\r\n" must not
            // hide the marker's line end ("\r\n" is one Character in Swift).
            let text = String(decoding: received.filter { $0 != 13 }, as: UTF8.self)
            if let range = text.range(of: marker), let end = text[range.upperBound...].firstIndex(of: "\n") {
                let status = Int32(text[range.upperBound..<end]) ?? -1
                var output = String(text[..<range.lowerBound])
                if output.hasSuffix("\n") { output.removeLast() }
                return Result(status: status, output: output)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw LabError.notReady(what: "guest console \(socketPath): `\(argv.joined(separator: " "))` did not finish within \(Int(timeout)) s", log: text)
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
            if ready < 0 && errno != EINTR { throw LabError.system(call: "poll(console)", errno: errno) }
            guard ready > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno != EINTR { throw LabError.system(call: "read(console)", errno: errno) }
            if n == 0 { throw LabError.notReady(what: "guest console \(socketPath) closed", log: text) }
            if n > 0 { received += buffer[0..<n] }
        }
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
