/// Which packets of a host a network fault applies to.
///
/// Empty `peers` means every peer. Ports and protocol narrow further. `direction` says
/// whether packets arriving at the host (`inbound`), leaving it (`outbound`) or both are
/// affected. Whatever the filter says, the agent's management channel is always exempt.
public struct NetworkFilter: Hashable, Sendable, Codable {
    /// The other end of the affected traffic: targets (in plans) or addresses/CIDRs.
    public var peers: [PeerRef]
    /// Ports of the affected traffic (the port on the peer's side or ours, either matches).
    public var ports: [PortRange]
    public var networkProtocol: NetworkProtocol
    public var direction: Direction
    /// The interface to act on (qdisc-based mechanisms); nil lets the agent pick the
    /// interface that routes to the peers.
    public var device: String?

    public init(peers: [PeerRef] = [], ports: [PortRange] = [], networkProtocol: NetworkProtocol = .all,
                direction: Direction = .inbound, device: String? = nil) {
        self.peers = peers; self.ports = ports; self.networkProtocol = networkProtocol
        self.direction = direction; self.device = device
    }

    private enum CodingKeys: String, CodingKey { case peers, ports, networkProtocol = "protocol", direction, device }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        peers = try c.decodeIfPresent([PeerRef].self, forKey: .peers) ?? []
        ports = try c.decodeIfPresent([PortRange].self, forKey: .ports) ?? []
        networkProtocol = try c.decodeIfPresent(NetworkProtocol.self, forKey: .networkProtocol) ?? .all
        direction = try c.decodeIfPresent(Direction.self, forKey: .direction) ?? .inbound
        device = try c.decodeIfPresent(String.self, forKey: .device)
    }

    /// True when every peer is an address, i.e. the filter can travel to an agent.
    public var isResolved: Bool { peers.allSatisfy { if case .cidr = $0 { true } else { false } } }

    func problems(prefix: String = "") -> [FieldProblem] {
        var out: [FieldProblem] = []
        for (i, peer) in peers.enumerated() {
            if case .cidr(let text) = peer, CIDR(text) == nil {
                out.append(FieldProblem("\(prefix)peers[\(i)]", "expected an IPv4/IPv6 address or CIDR such as 10.0.0.0/24, found '\(text)'"))
            }
        }
        if !ports.isEmpty, networkProtocol == .icmp {
            out.append(FieldProblem("\(prefix)ports", "ICMP has no ports; drop 'ports' or set protocol to tcp or udp"))
        }
        if let device, !Self.isValidInterfaceName(device) {
            out.append(FieldProblem("\(prefix)device", "expected an interface name of 1 to 15 characters without '/' or spaces, found '\(device)'"))
        }
        return out
    }

    static func isValidInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15 && !name.contains("/") && !name.contains(" ") && name != "." && name != ".."
    }
}

/// The other end of affected traffic.
public enum PeerRef: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A target named in the plan; resolved by the controller.
    case target(String)
    /// An address or CIDR (`10.0.0.7`, `10.0.0.0/24`, `fd00::/64`).
    case cidr(String)

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if text.hasPrefix("target:") {
            self = .target(String(text.dropFirst("target:".count)))
        } else {
            self = .cidr(text)
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .target(let name): try c.encode("target:" + name)
        case .cidr(let text): try c.encode(text)
        }
    }
    public var description: String {
        switch self {
        case .target(let name): name
        case .cidr(let text): text
        }
    }
}

public enum NetworkProtocol: String, Hashable, Sendable, Codable, CaseIterable {
    case all, tcp, udp, icmp
}

/// Which packets of the host: arriving (`inbound`), leaving (`outbound`) or `both`.
public enum Direction: String, Hashable, Sendable, Codable, CaseIterable {
    case inbound, outbound, both
}

/// A port or an inclusive range of ports, written `2379` or `2379-2380`.
public struct PortRange: Hashable, Sendable, Codable, CustomStringConvertible {
    public var lower: UInt16
    public var upper: UInt16
    public init(_ port: UInt16) { lower = port; upper = port }
    public init(_ lower: UInt16, _ upper: UInt16) { self.lower = lower; self.upper = upper }

    public static func parse(_ text: String) -> Result<PortRange, UnitError> {
        let parts = text.trimmingWhitespace().split(separator: "-", omittingEmptySubsequences: false)
        let numbers = parts.map { UInt16($0.trimmingWhitespace()) }
        guard (1...2).contains(parts.count), numbers.allSatisfy({ $0 != nil && $0 != 0 }) else {
            return .failure(UnitError("'\(text)' is not a port; write a number 1-65535 or a range such as 2379-2380"))
        }
        let lo = numbers[0]!, hi = numbers.last!!
        guard lo <= hi else { return .failure(UnitError("port range '\(text)' runs backwards; write \(hi)-\(lo)")) }
        return .success(PortRange(lo, hi))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(UInt16.self) { self.init(n); return }
        let text = try c.decode(String.self)
        switch PortRange.parse(text) {
        case .success(let r): self = r
        case .failure(let e): throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: e.message))
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if lower == upper { try c.encode(lower) } else { try c.encode(description) }
    }
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}
