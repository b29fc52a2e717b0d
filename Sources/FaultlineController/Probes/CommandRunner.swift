#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs a program on the controller host by argv (posix_spawnp, never a shell), with a
/// timeout, and collects its exit status and output (stdout and stderr, first 64 KiB each).
///
/// The child inherits no descriptor of ours beyond stdin (/dev/null), stdout and stderr
/// (closefrom 3): a build lock or an agent connection must not leak into it. On timeout
/// only the pid we started is killed (SIGKILL), then reaped.
struct CommandRunner {
    struct Result: Sendable {
        /// nil when killed by a signal or by the timeout.
        var exitCode: Int32?
        var signal: Int32?
        var timedOut: Bool
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    struct SpawnError: Error, CustomStringConvertible { var description: String }

    static let outputLimit = 64 * 1024

    static func run(_ argv: [String], timeoutSeconds: Double) throws(SpawnError) -> Result {
        guard let program = argv.first, !program.isEmpty else { throw SpawnError(description: "empty argv") }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Our read ends must not leak into programs other threads start.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        guard let closeFrom = addCloseFrom, closeFrom(&actions, 3) == 0 else {
            for fd in outPipe + errPipe { close(fd) }
            throw SpawnError(description: "posix_spawn_file_actions_addclosefrom_np is not available (glibc ≥ 2.34 needed)")
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let started = Monotonic.seconds()
        let rc = posix_spawnp(&pid, program, &actions, nil, cArgs, environ)
        close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw SpawnError(description: "cannot run \(program): \(String(cString: strerror(rc)))")
        }
        let deadline = started + timeoutSeconds
        var out: [UInt8] = [], err: [UInt8] = []
        var open = [outPipe[0], errPipe[0]]
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !open.isEmpty {
            let left = deadline - Monotonic.seconds()
            if left <= 0 { timedOut = true; break }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let n = poll(&fds, nfds_t(fds.count), Int32(max(1, (left * 1000).rounded(.up))))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { continue }
            for p in fds where p.revents != 0 {
                let count = read(p.fd, &buffer, buffer.count)
                if count > 0 {
                    if p.fd == outPipe[0] { if out.count < outputLimit { out += buffer[0..<count] } } else if err.count < outputLimit { err += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(p.fd)
                    open.removeAll { $0 == p.fd }
                }
            }
        }
        for fd in open { close(fd) }
        var status: Int32 = 0
        if timedOut {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        } else {
            // Output closed; the program may still be running (it closed its stdout) —
            // give it the rest of the timeout to exit.
            while true {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid { break }
                if r < 0 && errno != EINTR { break }
                if Monotonic.seconds() >= deadline {
                    timedOut = true
                    kill(pid, SIGKILL)
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    break
                }
                usleep(2000)
            }
        }
        let exited = (status & 0x7f) == 0
        return Result(exitCode: !timedOut && exited ? (status >> 8) & 0xff : nil,
                      signal: !exited ? status & 0x7f : nil, timedOut: timedOut,
                      stdout: String(decoding: out.prefix(outputLimit), as: UTF8.self),
                      stderr: String(decoding: err.prefix(outputLimit), as: UTF8.self),
                      seconds: Monotonic.seconds() - started)
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc
    /// module does not import; looked up once.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
}
