#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs programs by argv (never through a shell) with posix_spawn.
///
/// Every child starts with only stdin/stdout/stderr: descriptors 3 and up are closed in
/// the child (`posix_spawn_file_actions_addclosefrom_np`), because whoever runs us may hold
/// a lock's descriptor (the shared build lock, the lab's own lock) and a long-lived etcd
/// that inherited it would hold the lock for as long as it lives.
enum Spawn {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs argv to completion, collecting its output (small outputs: `ip`, `etcd --version`).
    /// `directory`: the child's working directory (`apt-get download` writes there).
    static func run(_ argv: [String], in directory: String? = nil) throws -> Output {
        let outPath = try temporaryFile(), errPath = try temporaryFile()
        defer { unlink(outPath); unlink(errPath) }
        var actions = try FileActions(stdin: "/dev/null", stdout: outPath, stderr: errPath, append: false)
        defer { actions.destroy() }
        if let directory {
            guard let addChdir = Spawn.addChdir, addChdir(&actions.raw, directory) == 0 else {
                throw LabError.unsupported("posix_spawn_file_actions_addchdir_np is missing (glibc 2.29 or newer is needed)")
            }
        }
        let pid = try spawn(argv, actions: &actions, newSession: false)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw LabError.system(call: "waitpid(\(pid))", errno: errno) }
        }
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Output(status: code, stdout: out, stderr: err)
    }

    /// Runs argv and throws with its stderr when it exits non-zero.
    @discardableResult
    static func check(_ argv: [String], in directory: String? = nil) throws -> String {
        let output = try run(argv, in: directory)
        guard output.status == 0 else {
            throw LabError.tool(argv: argv, status: output.status, stderr: output.stderr)
        }
        return output.stdout
    }

    /// Starts a long-lived lab process (agent, etcd) detached from us: a session of its own
    /// (so Ctrl-C in our terminal does not reach it and `lab up` can exit), stdin from
    /// /dev/null, stdout and stderr appended to `log`. Returns its pid; nobody waits for it
    /// except `reap`, which a long-lived parent (tests, `faultline demo`) calls after killing it.
    static func detached(_ argv: [String], log: String) throws -> pid_t {
        var actions = try FileActions(stdin: "/dev/null", stdout: log, stderr: nil, append: true)
        defer { actions.destroy() }
        return try spawn(argv, actions: &actions, newSession: true)
    }

    /// Collects a child's exit status if it is our child and has exited; harmless otherwise.
    static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    // MARK: - posix_spawn plumbing

    struct FileActions {
        var raw = posix_spawn_file_actions_t()
        init(stdin: String, stdout: String, stderr: String?, append: Bool) throws {
            posix_spawn_file_actions_init(&raw)
            let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
            posix_spawn_file_actions_addopen(&raw, 0, stdin, O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&raw, 1, stdout, mode, 0o640)
            if let stderr {
                posix_spawn_file_actions_addopen(&raw, 2, stderr, mode, 0o640)
            } else {
                posix_spawn_file_actions_adddup2(&raw, 1, 2)
            }
            guard let closeFrom = Spawn.addCloseFrom, closeFrom(&raw, 3) == 0 else {
                posix_spawn_file_actions_destroy(&raw)
                throw LabError.unsupported("posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or newer is needed)")
            }
        }
        mutating func destroy() { posix_spawn_file_actions_destroy(&raw) }
    }

    /// glibc's `POSIX_SPAWN_SETSID` (2.26+); Swift's Glibc module does not import it.
    private static let spawnSetSID: Int16 = 0x80

    private static func spawn(_ argv: [String], actions: inout FileActions, newSession: Bool) throws -> pid_t {
        precondition(!argv.isEmpty)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with default signal handling and an empty mask, whatever the
        // caller (a test runner, NIO) has blocked or ignored: etcd must die on SIGTERM.
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= spawnSetSID }
        posix_spawnattr_setflags(&attributes, flags)
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions.raw, &attributes, cArgs, environ)
        guard result == 0 else { throw LabError.system(call: "posix_spawn(\(argv[0]))", errno: result) }
        return pid
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addChdir: AddChdir? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    private static func temporaryFile() throws -> String {
        var template = Array("/tmp/faultline-spawn-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LabError.system(call: "mkstemp", errno: errno) }
        close(fd)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first of `candidates` that is an executable file.
    static func locate(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }
}
