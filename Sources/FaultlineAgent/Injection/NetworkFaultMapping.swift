import FaultlineCore
import FaultlineNetShims

/// Maps a network `Fault` (as it arrives on the wire, peers already resolved to
/// addresses) onto the shim spec that carries it out on this host. Pure: no I/O.
///
/// Which mechanism carries which kind, and why:
/// - partition, loss → nftables (`PartitionShim`, `LossShim`): atomic, any kernel, and the
///   management exemptions become accept rules ahead of every drop.
/// - latency → the NFQUEUE delay engine on every kernel, also where netem exists: netem
///   sits on a device's root qdisc and would delay the management channel with everything
///   else, while the engine matches peers and skips exempt traffic.
/// - duplicate, corrupt, reorder → netem (only it can), on one device, no peer filter;
///   refused with the reason where the kernel has no netem.
/// - bandwidth → tbf/htb on egress, or ingress through an ifb.
public struct NetworkFaultMapping: Sendable {
    /// The namespace faults are applied in (nil: the agent's own).
    public var namespace: NetNamespace?
    /// Traffic no fault may touch (safety rule 3).
    public var exemptions: [ManagementExemption]
    /// The device netem and bandwidth use when the fault names none.
    public var defaultDevice: String?

    public init(namespace: NetNamespace?, exemptions: [ManagementExemption], defaultDevice: String?) {
        self.namespace = namespace; self.exemptions = exemptions; self.defaultDevice = defaultDevice
    }

    /// Ports listed one by one in the nftables set; a wider range is refused rather than
    /// turned into a set of tens of thousands of elements.
    static let maximumPorts = 1024

    public func spec(for fault: Fault) throws(MappingError) -> NetFaultSpec {
        switch fault {
        case .partition(let p):
            guard p.topology == .inbound else {
                throw .refused("partition topology \(p.topology) is resolved by the controller; an agent takes topology 'inbound' with the peers to drop")
            }
            return .partition(PartitionSpec(namespace: namespace, match: try inbound(p.filter), exemptions: exemptions))
        case .loss(let l):
            guard l.correlation.points == 0 else {
                throw .refused("loss correlation needs netem's Gilbert model; nftables drops each packet independently (set correlation to 0)")
            }
            return .loss(LossSpec(namespace: namespace, match: try inbound(l.filter), exemptions: exemptions, percent: l.percent.points))
        case .latency(let l):
            guard l.distribution == .uniform else {
                throw .refused("the delay engine draws jitter uniformly; distribution \(l.distribution.rawValue) needs netem on a device, which would also delay the management channel")
            }
            return .delayEngine(DelayEngineSpec(namespace: namespace, match: try inbound(l.filter), exemptions: exemptions,
                                                delay: l.delay.duration, jitter: l.jitter.duration,
                                                correlationPercent: l.correlation.points))
        case .duplicate(let d):
            let device = try netemDevice(d.filter)
            return .netem(NetemSpec(namespace: namespace, device: device, duplicatePercent: d.percent.points,
                                    duplicateCorrelationPercent: d.correlation.points))
        case .corrupt(let c):
            let device = try netemDevice(c.filter)
            return .netem(NetemSpec(namespace: namespace, device: device, corruptPercent: c.percent.points,
                                    corruptCorrelationPercent: c.correlation.points))
        case .reorder(let r):
            let device = try netemDevice(r.filter)
            return .netem(NetemSpec(namespace: namespace, device: device, delay: r.delay.duration,
                                    reorderPercent: r.percent.points, reorderCorrelationPercent: r.correlation.points))
        case .bandwidth(let b):
            guard let device = b.filter.device ?? defaultDevice else { throw .refused("bandwidth needs a device: name one in the fault or in the agent's config (device)") }
            let direction: BandwidthSpec.Direction
            switch b.filter.direction {
            case .outbound: direction = .egress
            case .inbound: direction = .ingress
            case .both: throw .refused("bandwidth shapes one direction per fault; apply one outbound and one inbound fault")
            }
            guard b.filter.ports.isEmpty, b.filter.networkProtocol == .all else {
                throw .refused("bandwidth filters by peer address only (no ports or protocol)")
            }
            return .bandwidth(BandwidthSpec(namespace: namespace, device: device, direction: direction,
                                            bitsPerSecond: b.rate.bitsPerSecond, burstBytes: b.burst.map { UInt32(clamping: $0.bytes) },
                                            peers: try networks(b.filter.peers)))
        case .kill, .pause, .clock:
            throw .refused("\(fault.kind.rawValue) is not a network fault")
        }
    }

    /// nftables and NFQUEUE faults act on packets arriving at this host.
    func inbound(_ filter: NetworkFilter) throws(MappingError) -> InboundMatch {
        guard filter.direction == .inbound else {
            throw .refused("this fault acts on packets arriving at the host (direction inbound); for the other direction the controller applies it on the peer")
        }
        guard filter.device == nil else { throw .refused("this fault matches by peer, port and protocol, not by device; drop 'device'") }
        var ports: [UInt16] = []
        for range in filter.ports {
            guard Int(range.upper) - Int(range.lower) + ports.count < Self.maximumPorts else {
                throw .refused("at most \(Self.maximumPorts) ports per fault; found the range \(range)")
            }
            ports += Array(range.lower...range.upper)
        }
        let transport: TransportFilter = switch filter.networkProtocol {
        case .all: .all
        case .tcp: .tcp
        case .udp: .udp
        case .icmp: .icmp
        }
        return InboundMatch(peers: try networks(filter.peers), transport: transport, ports: ports)
    }

    func netemDevice(_ filter: NetworkFilter) throws(MappingError) -> String {
        guard filter.peers.isEmpty, filter.ports.isEmpty, filter.networkProtocol == .all else {
            throw .refused("netem acts on a whole device: peers, ports and protocol cannot be filtered for this kind")
        }
        guard let device = filter.device ?? defaultDevice else {
            throw .refused("this kind needs a device: name one in the fault or in the agent's config (device)")
        }
        return device
    }

    func networks(_ peers: [PeerRef]) throws(MappingError) -> [IPNetwork] {
        var out: [IPNetwork] = []
        for peer in peers {
            guard case .cidr(let text) = peer else {
                throw .refused("peer '\(peer)' is a target name; the controller resolves targets to addresses before sending")
            }
            do { out.append(try IPNetwork(text)) } catch { throw .refused("peer '\(text)': \(error)") }
        }
        return out
    }
}

/// Why a fault cannot be mapped onto this host's mechanisms (the API answers 422).
public enum MappingError: Error, Sendable, CustomStringConvertible {
    case refused(String)
    public var description: String { switch self { case .refused(let why): why } }
}
