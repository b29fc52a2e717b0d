import Foundation
import NIOCore

/// Every bound the API server keeps, in one place (docs/agent-api.md lists them).
///
/// Connections: at most `connections` at once, at most `connectionsPerPeer` from one
/// address, and the last `controllerReserve` of the total only for the configured
/// controllers, so a flood from elsewhere can fill the agent but never lock its
/// controller out. Deadlines are totals, not idle timers: a caller that trickles a byte a
/// second still has to finish its headers and body `requestDeadline` after it connected
/// (or, on a kept-alive connection, after its request's first byte).
public struct ServerLimits: Sendable, Hashable {
    public var connections = 512
    public var connectionsPerPeer = 32
    public var controllerReserve = 64
    public var handshakeDeadline: TimeAmount = .seconds(3)
    public var requestDeadline: TimeAmount = .seconds(5)
    /// How long a kept-alive connection may sit between requests.
    public var keepAliveIdle: TimeAmount = .seconds(10)
    /// Threads and wait-list length of the pool that runs applies, queries and listings.
    public var workThreads = 8
    public var workQueue = 16
    /// Of the control lane: health, lease renewals, reverts and halt.
    public var controlThreads = 2
    public var controlQueue = 64

    public init() {}

    /// File descriptors the agent keeps for itself beyond its connections: the ledger,
    /// netlink and nftables sockets, /proc reads, the event loop.
    static let reservedDescriptors = 128

    /// These limits shrunk to fit a process limited to `descriptors` open files, so the
    /// agent refuses connections itself (and keeps serving) instead of meeting EMFILE,
    /// which stalls accepting for everyone, its controller included.
    public func fitting(descriptors: Int) -> ServerLimits {
        var fitted = self
        fitted.connections = max(8, min(connections, descriptors - Self.reservedDescriptors))
        fitted.controllerReserve = min(controllerReserve, fitted.connections / 4)
        fitted.connectionsPerPeer = max(1, min(connectionsPerPeer, fitted.connections - fitted.controllerReserve))
        return fitted
    }

    /// The soft RLIMIT_NOFILE of this process.
    public static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur == rlim_t.max ? Int(Int32.max) : Int(clamping: limit.rlim_cur)
    }
}
