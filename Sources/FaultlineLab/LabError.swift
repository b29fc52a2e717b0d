#if canImport(Glibc)
import Glibc
#endif

/// Why a lab command failed; every case reads as one sentence for the terminal.
public enum LabError: Error, Sendable, CustomStringConvertible {
    /// Bad input or a conflicting lab: nothing was changed.
    case invalid(String)
    /// A tool we ran (`ip`) said no.
    case tool(argv: [String], status: Int32, stderr: String)
    case system(call: String, errno: Int32)
    /// Something this machine lacks (a binary, a libc feature).
    case unsupported(String)
    /// A lab process or service did not come up; `log` is the end of its log.
    case notReady(what: String, log: String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        case .tool(let argv, let status, let stderr):
            return "\(argv.joined(separator: " ")) exited \(status): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .unsupported(let message): return message
        case .notReady(let what, let log):
            return log.isEmpty ? what : "\(what); the end of its log:\n\(log)"
        }
    }
}
