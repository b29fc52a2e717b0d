#if canImport(Glibc)
import Glibc
#endif

/// Why a network shim could not do what it was asked.
///
/// Every error names the library call or syscall that failed and carries either the errno or
/// the library's own error text, so a person reading the agent's journal can tell exactly which
/// step broke without re-running anything.
public enum NetShimError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A syscall failed: `call` is its name (with the decisive argument), `errno` its errno.
    case syscall(call: String, errno: Int32)
    /// A C library call failed: `call` is the function, `message` the library's error text.
    case library(call: String, message: String)
    /// A spawned tool (argv, never a shell) exited non-zero; `stderr` is what it printed.
    case tool(argv: [String], status: Int32, stderr: String)
    /// The spec cannot be applied as given (bad address, port, percentage, name...).
    case invalidSpec(String)
    /// Applying would touch something Faultline does not own (e.g. the host's own root qdisc).
    case refused(String)
    /// The kernel or the host lacks what the mechanism needs.
    case unavailable(String)

    public var description: String {
        switch self {
        case let .syscall(call, code):
            return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .library(call, message):
            return "\(call) failed: \(message)"
        case let .tool(argv, status, stderr):
            let trimmed = stderr.trimmingTrailingNewlines()
            return "\(argv.joined(separator: " ")) exited with status \(status): \(trimmed)"
        case let .invalidSpec(message):
            return "invalid spec: \(message)"
        case let .refused(message):
            return "refused: \(message)"
        case let .unavailable(message):
            return "unavailable: \(message)"
        }
    }

    /// The errno of the last failed syscall, wrapped with the call's name.
    static func lastErrno(_ call: String) -> NetShimError {
        .syscall(call: call, errno: errno)
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var copy = self
        while let last = copy.last, last == "\n" || last == "\r" || last == " " { copy.removeLast() }
        return copy
    }
}
