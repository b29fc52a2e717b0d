#if canImport(Glibc)
import Glibc
#endif

/// Every error thrown by FaultlineProcShims.
///
/// A failing system call always names the call, what it was applied to, and the errno
/// (symbolic name and text), e.g. `pidfd_send_signal(pid 4242, SIGKILL): ESRCH (No such process)`.
public enum ProcShimError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call (or a /proc or /sys file operation) failed.
    case system(call: String, target: String, errno: Int32)
    /// The pid now belongs to a different process than the one selected (pid reuse):
    /// its start time (field 22 of /proc/PID/stat) differs.
    case pidReused(pid: Int32, expectedStartTime: UInt64, actualStartTime: UInt64)
    /// The process is gone (no /proc entry, or ESRCH).
    case processGone(pid: Int32)
    /// The mechanism cannot run on this host; `missing` says exactly why.
    case unavailable(mechanism: String, missing: [Requirement])
    /// The spec is invalid; nothing was touched.
    case invalidSpec(String)
    /// The request is valid but refused for safety (e.g. freezing the agent's own cgroup).
    case refused(String)
    /// A kernel-provided text or binary (mountinfo, /proc/PID/stat, the vDSO ELF) did not parse.
    case malformed(what: String, detail: String)
    /// A wait (exit, freeze, ptrace stop) did not finish in time.
    case timedOut(what: String, after: Duration)
    /// The target holds state Faultline did not write (e.g. a vDSO entry patched by
    /// someone else); nothing was overwritten.
    case conflict(String)

    public var description: String {
        switch self {
        case let .system(call, target, errno):
            return "\(call)(\(target)): \(ErrnoName.describe(errno))"
        case let .pidReused(pid, expected, actual):
            return "pid \(pid) was reused: start time \(actual) != selected \(expected)"
        case let .processGone(pid):
            return "process \(pid) is gone"
        case let .unavailable(mechanism, missing):
            return "\(mechanism) unavailable: missing " + missing.map(\.description).joined(separator: ", ")
        case let .invalidSpec(why):
            return "invalid spec: \(why)"
        case let .refused(why):
            return "refused: \(why)"
        case let .malformed(what, detail):
            return "malformed \(what): \(detail)"
        case let .timedOut(what, after):
            return "timed out after \(after) waiting for \(what)"
        case let .conflict(why):
            return "conflict: \(why)"
        }
    }

    /// The errno of a `.system` error, nil otherwise.
    public var errno: Int32? {
        if case let .system(_, _, code) = self { return code }
        return nil
    }

    /// Builds a `.system` error from the calling thread's current errno.
    static func lastErrno(_ call: String, _ target: String) -> ProcShimError {
        .system(call: call, target: target, errno: Glibc.errno)
    }
}

/// Symbolic names for the errnos these shims meet, so messages read `ESRCH (No such process)`.
public enum ErrnoName {
    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
        ENXIO: "ENXIO", E2BIG: "E2BIG", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
        ENOSPC: "ENOSPC", EROFS: "EROFS", ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY",
        EOPNOTSUPP: "EOPNOTSUPP", ETIMEDOUT: "ETIMEDOUT",
    ]

    /// `ESRCH (No such process)`; unknown codes as `errno 123 (text)`.
    public static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        if let name = names[code] { return "\(name) (\(text))" }
        return "errno \(code) (\(text))"
    }
}
