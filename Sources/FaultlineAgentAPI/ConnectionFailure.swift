#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL

/// A failure to reach an agent, in words a person can act on — not NIO's
/// `SingleConnectionFailure(… errno: 111)`.
enum ConnectionFailure {
    static func describe(_ error: Error, endpoint: AgentEndpoint, timeout: TimeAmount) -> String {
        let target = "\(endpoint.address):\(endpoint.port)"
        if let failure = error as? NIOConnectionError {
            // One attempt per resolved address; the first says enough for a literal address.
            if let first = failure.connectionErrors.first { return describe(first.error, endpoint: endpoint, timeout: timeout) }
            if let dns = failure.dnsAError ?? failure.dnsAAAAError { return "cannot resolve \(endpoint.address): \(dns)" }
        }
        if let io = error as? IOError { return describe(errno: io.errnoCode, target: target) }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout:
                return "no answer to the connection to \(target) within \(timeout.nanoseconds / 1_000_000) ms (the host down, the wrong address, or a firewall dropping it?)"
            case .ioOnClosedChannel, .alreadyClosed, .eof:
                return "\(target) closed the connection (a TLS refusal by the agent, or the agent restarting?)"
            default: break
            }
        }
        if let tls = error as? NIOSSLError {
            switch tls {
            case .handshakeFailed(let detail):
                return "the TLS handshake with \(target) failed (\(detail)); the agent's certificate must come from this CA and name \(endpoint.name) or \(endpoint.address)"
            default:
                return "TLS with \(target) failed: \(tls)"
            }
        }
        return "\(error)"
    }

    static func describe(errno code: Int32, target: String) -> String {
        switch code {
        case ECONNREFUSED: "connection refused by \(target): is the agent running and listening there?"
        case ETIMEDOUT: "the connection to \(target) timed out (the host down, or a firewall dropping it?)"
        case EHOSTUNREACH, ENETUNREACH: "no route to \(target) (the wrong address, or the network down?)"
        case ECONNRESET: "\(target) reset the connection"
        default: "cannot connect to \(target): \(String(cString: strerror(code)))"
        }
    }
}
