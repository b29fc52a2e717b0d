/// Which inbound packets a partition or loss fault hits, and which it must never touch.
///
/// Faults act on traffic *arriving* at the namespace they are applied in (input hook, and
/// optionally forward): dropping in the sender's output hook returns EPERM to the sender and
/// TCP recovers at once, which is not how a network fails (KERNEL.md). A two-way partition is
/// therefore two faults, one on each side; a one-way partition is one of them.
public struct InboundMatch: Sendable, Codable, Hashable {
    /// Sources the fault hits. Empty means every source (a full partition), except loopback
    /// and the exemptions.
    public var peers: [IPNetwork]
    /// Transport protocol filter.
    public var transport: TransportFilter
    /// If not empty, only packets whose source or destination port is one of these.
    public var ports: [UInt16]
    /// Also hit packets this namespace forwards (a router or a bridge with br_netfilter).
    public var includeForwarded: Bool

    public init(peers: [IPNetwork] = [], transport: TransportFilter = .all, ports: [UInt16] = [],
                includeForwarded: Bool = false) {
        self.peers = peers
        self.transport = transport
        self.ports = ports
        self.includeForwarded = includeForwarded
    }

    func validate() throws {
        if !ports.isEmpty && transport == .icmp {
            throw NetShimError.invalidSpec("ports cannot be combined with transport icmp")
        }
        if ports.contains(0) { throw NetShimError.invalidSpec("port 0 is not a port") }
    }
}

/// Transport protocol filter of an `InboundMatch`.
public enum TransportFilter: String, Sendable, Codable, Hashable, CaseIterable {
    case all, tcp, udp, icmp
}

/// Management traffic that a partition or loss fault must never drop: the controller's
/// address and the agent's port (DESIGN.md, safety rule 3).
///
/// The exempt flow is exactly the controller calling the agent: inbound TCP packets from
/// `address` (if given) to destination port `port` (if given), and on mechanisms that act
/// on packets leaving the host (egress traffic control) the agent's answers, TCP from source
/// port `port` to `address`. A packet that merely comes *from* the agent port (the controller
/// host sending from source port 7433 to some other port) is not management traffic and is
/// hit like any other. Exemptions become `accept` rules (or unshaped traffic-control
/// classes) placed before every drop of the fault.
public struct ManagementExemption: Sendable, Codable, Hashable {
    public var address: IPNetwork?
    public var port: UInt16?

    public init(address: IPNetwork?, port: UInt16?) {
        self.address = address
        self.port = port
    }

    func validate() throws {
        if address == nil && port == nil {
            throw NetShimError.invalidSpec("a management exemption needs an address, a port, or both")
        }
        if port == 0 { throw NetShimError.invalidSpec("exemption port 0 is not a port") }
    }
}
