#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// A child process started by a test with posix_spawn, with optional stdin/stdout pipes.
///
/// Tests reap their own children by pid (never waitpid(-1)), so concurrent tests and the
/// pidfd/zombie assertions do not interfere. `terminate()` SIGKILLs and reaps; tests call
/// it in `defer`.
final class ChildProcess: @unchecked Sendable {
    let pid: Int32
    private var stdinFD: Int32 = -1
    private var stdoutFD: Int32 = -1
    private var buffer: [UInt8] = []
    private(set) var reaped = false
    private(set) var exitStatus: Int32 = 0

    init(_ argv: [String], pipes: Bool = false, environment: [String: String]? = nil, outputFile: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        if pipes {
            guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else {
                throw TestFailure("pipe2: \(ErrnoName.describe(errno))")
            }
            for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let outputFile {
            posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let env = environment ?? ProcessInfo.processInfo.environment
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        // Test-runner threads block most signals and the mask is inherited across exec:
        // give the child an empty mask and default dispositions, as a service would have.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        if pipes {
            close(inPipe[0]); close(outPipe[1])
            stdinFD = inPipe[1]; stdoutFD = outPipe[0]
        }
        guard result == 0 else { throw TestFailure("posix_spawn \(argv[0]): \(ErrnoName.describe(result))") }
        self.pid = pid
        waitUntilExecuted()
    }

    /// posix_spawn returns once the child released the parent's memory (vfork), which is
    /// before the new program is fully mapped; wait until its vDSO is mapped.
    private func waitUntilExecuted() {
        for _ in 0..<2000 {
            if let maps = try? SystemFiles.readText("/proc/\(pid)/maps"), maps.contains("[vdso]") {
                return
            }
            usleep(1000)
        }
    }

    deinit {
        terminate()
        if stdinFD >= 0 { close(stdinFD) }
        if stdoutFD >= 0 { close(stdoutFD) }
    }

    var identity: ProcessIdentity {
        get throws { try ProcFS.identity(of: pid) }
    }

    /// Writes a line to the child's stdin and returns the next line of its stdout.
    func ask(_ line: String = "?", timeout: Duration = .seconds(5)) throws -> String {
        let bytes = Array((line + "\n").utf8)
        guard write(stdinFD, bytes, bytes.count) == bytes.count else {
            throw TestFailure("write to child \(pid): \(ErrnoName.describe(errno))")
        }
        return try readLine(timeout: timeout)
    }

    func readLine(timeout: Duration = .seconds(5)) throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw TestFailure("no line from child \(pid) within \(timeout)") }
            var entry = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let ms = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000) + 1
            if poll(&entry, 1, ms) <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(stdoutFD, &chunk, chunk.count)
            if count <= 0 { throw TestFailure("child \(pid) closed stdout") }
            buffer += chunk[0..<count]
        }
    }

    /// Reaps the child if it has exited (non-blocking). Returns true once reaped.
    @discardableResult
    func reapIfExited() -> Bool {
        if reaped { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            reaped = true
            exitStatus = status
        }
        return reaped
    }

    /// Waits (at most `timeout`, then SIGKILL) until the child exits, and reaps it.
    func waitForExit(timeout: Duration = .seconds(30)) -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !reapIfExited() {
            if clock.now >= deadline {
                Issue.record("child \(pid) did not exit within \(timeout); killing it")
                kill(pid, SIGKILL)
                kill(pid, SIGCONT)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                reaped = true
                exitStatus = status
                break
            }
            usleep(1000)
        }
        return exitStatus
    }

    /// SIGKILL (also SIGCONT, in case a test left it stopped) and reap.
    func terminate() {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        kill(pid, SIGCONT)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        exitStatus = status
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory for one test, removed in `defer`.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(_ tag: String = "fl-ps") throws {
        var template = Array("/tmp/\(tag)\(UniqueName.random4())-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp: \(ErrnoName.describe(errno))")
        }
        path = String(cString: made)
    }

    func remove() {
        _ = try? FileManager.default.removeItem(atPath: path)
    }
}

enum UniqueName {
    /// Four random lowercase hex characters.
    static func random4() -> String {
        String(UInt16.random(in: 0...UInt16.max), radix: 16).leftPadded(4)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Test fixtures under Tests/Fixtures/procshims, compiled per test into its temp dir.
enum Fixtures {
    static var directory: String {
        // #filePath is …/Tests/FaultlineProcShimsTests/ChildProcess.swift
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return here.appendingPathComponent("Fixtures/procshims").path
    }

    /// `cc [flags] Fixtures/procshims/<source> -o <dir>/<output>`; returns the binary path.
    static func compileC(_ source: String, into dir: String, output: String, flags: [String] = []) throws -> String {
        let binary = dir + "/" + output
        try run(["/usr/bin/cc", "-O1", "-pthread"] + flags + [directory + "/" + source, "-o", binary])
        return binary
    }

    /// Runs a command to completion; throws with its status if it fails.
    static func run(_ argv: [String], environment: [String: String]? = nil) throws {
        let child = try ChildProcess(argv, environment: environment)
        let status = child.waitForExit(timeout: .seconds(180))
        guard status == 0 else { throw TestFailure("\(argv.joined(separator: " ")) exited with status \(status)") }
    }
}
