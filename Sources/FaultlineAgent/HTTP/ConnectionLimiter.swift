import FaultlineCore
import Foundation

/// Counts open connections per peer address and in total, and decides whether one more
/// may stay open (see `ServerLimits`). No I/O: the server closes what this refuses.
/// Thread-safe.
final class ConnectionLimiter: @unchecked Sendable {
    let limits: ServerLimits
    let controllers: [CIDR]
    private let lock = NSLock()
    private var total = 0
    private var perPeer: [String: Int] = [:]

    init(limits: ServerLimits, controllers: [CIDR]) { self.limits = limits; self.controllers = controllers }

    /// Takes a slot for `peer` (an address without port), or answers why not. A slot
    /// taken must be given back with `release(peer)` when the connection closes.
    func admit(_ peer: String) -> String? {
        let peer = Self.unmapped(peer)
        let isController = CIDR(peer).map { address in controllers.contains { $0.contains(address) } } ?? false
        return lock.withLock { () -> String? in
            let fromPeer = perPeer[peer, default: 0]
            if fromPeer >= limits.connectionsPerPeer {
                return "\(fromPeer) connections from this address already (at most \(limits.connectionsPerPeer) per peer)"
            }
            let cap = isController ? limits.connections : limits.connections - limits.controllerReserve
            if total >= cap {
                return "\(total) connections open (at most \(cap)\(isController ? "" : "; the last \(limits.controllerReserve) are kept for controllers"))"
            }
            total += 1
            perPeer[peer] = fromPeer + 1
            return nil
        }
    }

    func release(_ peer: String) {
        let peer = Self.unmapped(peer)
        lock.withLock {
            total -= 1
            let left = perPeer[peer, default: 1] - 1
            perPeer[peer] = left > 0 ? left : nil
        }
    }

    var open: Int { lock.withLock { total } }

    /// An IPv4 peer of a dual-stack listener shows as ::ffff:a.b.c.d.
    static func unmapped(_ address: String) -> String {
        address.hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }
}
