/// Why a request got no usable answer, split by what it means for the operation.
///
/// This split is the reason the workloads speak HTTP and RESP over their own sockets
/// rather than through URLSession: a consistency check is only sound if an operation
/// that *may* have reached the server is recorded as indeterminate (`info`), and only
/// useful if one that certainly did not is recorded as failed (`fail`). Only code that
/// knows whether a byte of the request left this process can tell the two apart.
public enum RequestFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No byte of the request was written: connect was refused, the host unreachable, or
    /// the connect timed out. The server never saw the request; it did not take effect.
    case notSent(String)
    /// The request was written (perhaps only partly) but no complete answer came back:
    /// a timeout, a reset, an early close, or a reply we could not parse. The server may
    /// have acted on it.
    case noCompleteAnswer(String)

    public var description: String {
        switch self {
        case .notSent(let reason): "not sent: \(reason)"
        case .noCompleteAnswer(let reason): "sent, no complete answer: \(reason)"
        }
    }
}
