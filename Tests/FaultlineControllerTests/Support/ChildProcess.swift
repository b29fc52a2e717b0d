#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A process a test started (an agent, an HTTP server, a `faultline run`), signalled,
/// killed and reaped by its pid only.
///
/// The child gets no descriptor of ours beyond stdin/stdout/stderr (closefrom 3): the test
/// runner may hold the build lock's descriptor, and a child that inherited it would keep
/// the lock for as long as it lives.
final class ChildProcess: Sendable {
    let pid: pid_t
    let argv: [String]
    let logPath: String
    private let status = Mutex<Int32?>(nil)

    init(_ argv: [String], logPath: String, environment: [String: String]? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw E2EFailure("posix_spawn_file_actions_addclosefrom_np is not available (glibc ≥ 2.34 needed)")
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let env = environment ?? ProcessInfo.processInfo.environment
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard result == 0 else { throw E2EFailure("posix_spawn \(argv[0]): \(String(cString: strerror(result)))") }
        self.pid = pid
        self.argv = argv
        self.logPath = logPath
    }

    deinit { kill() }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Sends a signal if the process has not been reaped yet.
    func signal(_ number: Int32) {
        status.withLock { s in if s == nil { _ = Glibc.kill(pid, number) } }
    }

    /// SIGKILL and reap (once).
    func kill() {
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
    func waitForExit(seconds: Double) -> Int32? {
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

    func logTail(_ count: Int = 1500) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return String(text.suffix(count))
    }
}

struct E2EFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a short tool (ip, nft) to completion by argv and answers its stdout.
@discardableResult
func tool(_ argv: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw E2EFailure("\(argv.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

/// Runs blocking test scaffolding (ip, curl, waiting for processes) on a thread of its
/// own: on the two threads of the cooperative pool it would stall every other test, and
/// a semaphore wait there for a task that needs the pool can deadlock.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Polls `condition` (blocking scaffolding, run off the pool) every 50 ms for up to
/// `seconds`; answers how long it took, or nil.
func waitUntil(_ seconds: Double, _ condition: @escaping @Sendable () -> Bool) async -> Double? {
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        if (try? await offPool(condition)) == true { return Date().timeIntervalSince(start) }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return nil
}
