#if canImport(Glibc)
import Glibc
#endif
import CFaultlineNet

/// Spawns a tool by argv (never through a shell) on the calling thread and collects its output.
///
/// Used only where no library can do the job: the iptables `NFQUEUE` target (see
/// `Delay+NFQueue.swift`). The child inherits the calling thread's network namespace, which
/// is why callers run this on a `NamespaceThread`.
///
/// The child keeps CAP_NET_ADMIN: an agent that holds it as a file capability (the Debian
/// package's setcap) or under systemd (exec of a binary with file capabilities clears the
/// ambient set) has it only in its permitted set, and an exec drops that, so iptables-restore
/// would fail with "Permission denied (you must be root)". For the spawn only, the calling
/// thread raises CAP_NET_ADMIN — and nothing else — into its ambient set.
enum Subprocess {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ argv: [String], input: String? = nil) throws -> Output {
        var inPipe: [Int32] = [-1, -1]
        if input != nil { guard fl_pipe_cloexec(&inPipe) == 0 else { throw NetShimError.lastErrno("pipe2") } }
        defer { if inPipe[0] >= 0 { close(inPipe[0]) } }
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard fl_pipe_cloexec(&outPipe) == 0 else { throw NetShimError.lastErrno("pipe2") }
        guard fl_pipe_cloexec(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw NetShimError.lastErrno("pipe2")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        // A failed raise leaves the child as it was before (it reports its own error).
        let raised = fl_net_admin_ambient_raise()
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        fl_net_admin_ambient_lower(raised)
        close(outPipe[1]); close(errPipe[1])
        if let input, inPipe[1] >= 0 {
            // Inputs are a few kilobytes, below the pipe's 64 KiB buffer: this cannot block.
            if spawned == 0 {
                _ = input.utf8CString.withUnsafeBufferPointer { write(inPipe[1], $0.baseAddress, $0.count - 1) }
            }
            close(inPipe[1])
        }
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw NetShimError.syscall(call: "posix_spawn(\(argv[0]))", errno: spawned)
        }
        let (stdout, stderr) = drain(outPipe[0], errPipe[0])
        close(outPipe[0]); close(errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw NetShimError.lastErrno("waitpid(\(pid))") }
        }
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(status: exitCode, stdout: stdout, stderr: stderr)
    }

    /// Runs argv and throws `.tool` with its stderr when it exits non-zero.
    @discardableResult
    static func check(_ argv: [String], input: String? = nil) throws -> String {
        let output = try run(argv, input: input)
        guard output.status == 0 else {
            throw NetShimError.tool(argv: argv, status: output.status, stderr: output.stderr)
        }
        return output.stdout
    }

    /// The first of `candidates` that is an executable file.
    static func locate(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }

    private static func drain(_ outFD: Int32, _ errFD: Int32) -> (String, String) {
        var out: [UInt8] = []
        var err: [UInt8] = []
        var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count > 0 {
                    if index == 0 { out += buffer[0..<count] } else { err += buffer[0..<count] }
                } else if count == 0 || errno != EINTR {
                    fds[index].fd = -1
                    open -= 1
                }
            }
        }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
