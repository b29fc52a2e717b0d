#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A process a test started (an agent, etcd, redis-server, an HTTP server, a `faultline
/// run`), signalled, killed and reaped by its pid only.
///
/// Shared by the test targets (FaultlineTestSupport).
///
/// The child gets no descriptor of ours beyond stdin/stdout/stderr (closefrom 3): the
/// test runner may hold the build lock's descriptor, and a server that inherited it would
/// keep the lock held for as long as it lives. `kill()` is idempotent and thread-safe, so
/// a test can kill mid-run from another thread and again in `defer`.
public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    public let argv: [String]
    public let logPath: String
    /// The wait status once reaped.
    private let status = Mutex<Int32?>(nil)

    /// `environment`: the child's whole environment (nil: ours).
    public init(_ argv: [String], logPath: String, environment: [String: String]? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw TestFailure("posix_spawn_file_actions_addclosefrom_np is not available (glibc ≥ 2.34 needed)")
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let cEnv: [UnsafeMutablePointer<CChar>?]? = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { cEnv?.forEach { free($0) } }
        var pid: pid_t = 0
        let result = cEnv.map { env in env.withUnsafeBufferPointer { posix_spawn(&pid, argv[0], &actions, nil, cArgs, UnsafeMutablePointer(mutating: $0.baseAddress)) } }
            ?? posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard result == 0 else { throw TestFailure("posix_spawn \(argv[0]): \(String(cString: strerror(result)))") }
        self.pid = pid
        self.argv = argv
        self.logPath = logPath
    }

    deinit { kill() }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc
    /// module does not import; looked up once.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Sends a signal if the process has not been reaped yet (so never to a reused pid).
    public func signal(_ number: Int32) {
        status.withLock { s in if s == nil { _ = Glibc.kill(pid, number) } }
    }

    /// SIGKILL and reap (once).
    public func kill() {
        status.withLock { s in
            guard s == nil else { return }
            _ = Glibc.kill(pid, SIGKILL)
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            s = st
        }
    }

    /// Waits up to `seconds` for the process to exit; answers its exit code (128+signal
    /// when killed), or nil if it is still running.
    public func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let done: Int32? = status.withLock { s in
                if s == nil {
                    var st: Int32 = 0
                    if waitpid(pid, &st, WNOHANG) == pid { s = st }
                }
                return s
            }
            if let st = done { return (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f) }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// True if it has exited (reaps it then).
    public var hasExited: Bool { waitForExit(seconds: 0) != nil }

    /// The end of its log, for failure messages.
    public func logTail(_ count: Int = 800) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return String(text.suffix(count))
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary directory for one test, removed by `remove()` (call it in `defer`).
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ tag: String) throws {
        var template = Array("/tmp/fl-t\(UniqueName.random4())-\(tag)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

public enum UniqueName {
    public static func random4() -> String {
        let text = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return String(repeating: "0", count: 4 - text.count) + text
    }
}
