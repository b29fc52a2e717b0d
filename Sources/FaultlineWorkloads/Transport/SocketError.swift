#if canImport(Glibc)
import Glibc
#endif

/// A failed system call on a socket: which call, and the errno it returned.
struct SocketError: Error, CustomStringConvertible {
    var call: String
    var code: Int32

    var description: String { "\(call): \(SocketError.name(code)) (\(String(cString: strerror(code))))" }

    /// The symbolic name of the errnos a TCP client meets, so that logs say ECONNREFUSED
    /// rather than 111.
    static func name(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "ECONNREFUSED"
        case ECONNRESET: "ECONNRESET"
        case ETIMEDOUT: "ETIMEDOUT"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case ENETUNREACH: "ENETUNREACH"
        case EPIPE: "EPIPE"
        case EINPROGRESS: "EINPROGRESS"
        case EAGAIN: "EAGAIN"
        case EINTR: "EINTR"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case EMFILE: "EMFILE"
        default: "errno \(code)"
        }
    }
}
