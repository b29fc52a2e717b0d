import FaultlineCore
import FaultlineNetShims

/// Maps a network `Fault` (as it arrives on the wire, peers already resolved to
/// addresses) onto the shim spec that carries it out on this host. Pure: no I/O.
///
/// Which mechanism carries which kind, and why:
/// - partition, loss → nftables (`PartitionShim`, `LossShim`): atomic, any kernel, and the
///   management exemptions become accept rules ahead of every drop.
///   Correlated (bursty) loss needs netem's Gilbert model: netem on arriving packets where
///   the kernel has it, refused elsewhere.
/// - latency → netem on arriving packets where the kernel has netem (an ifb redirect by
///   peer address, the management channel exempt: in-kernel, no per-packet trip to user
///   space), else the NFQUEUE delay engine (this machine's kernel has no netem). Both act on
///   packets arriving from the fault's peers, so a plan means the same on either host.
/// - duplicate, corrupt, reorder → netem (only it can), on one device, no peer filter, the
///   agent's answers to its controller steered around it; refused with the reason where the
///   kernel has no netem.
/// - bandwidth → tbf/htb on egress, or ingress through an ifb.
public struct NetworkFaultMapping: Sendable {
    /// What carries latency on this host (decided once, from the kernel's abilities).
    public enum LatencyMechanism: String, Sendable {
        case netem
        case delayEngine = "delay-engine"
    }

    /// The namespace faults are applied in (nil: the agent's own).
    public var namespace: NetNamespace?
    /// Traffic no fault may touch (safety rule 3).
    public var exemptions: [ManagementExemption]
    /// The device netem and bandwidth use when the fault names none.
    public var defaultDevice: String?
    public var latencyMechanism: LatencyMechanism

    public init(namespace: NetNamespace?, exemptions: [ManagementExemption], defaultDevice: String?,
                latencyMechanism: LatencyMechanism = .delayEngine) {
        self.namespace = namespace; self.exemptions = exemptions; self.defaultDevice = defaultDevice
        self.latencyMechanism = latencyMechanism
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
        case .loss(let l) where l.correlation.points > 0 && latencyMechanism == .netem:
            // Correlated (bursty) loss is netem's Gilbert model, on arriving packets like plain loss.
            return .netem(try netemIngress(l.filter, loss: l))
        case .loss(let l):
            guard l.correlation.points == 0 else {
                throw .refused("loss correlation needs netem's Gilbert model; nftables drops each packet independently (set correlation to 0)")
            }
            return .loss(LossSpec(namespace: namespace, match: try inbound(l.filter), exemptions: exemptions, percent: l.percent.points))
        case .latency(let l) where latencyMechanism == .netem:
            return .netem(try netemIngress(l))
        case .latency(let l):
            guard l.distribution == .uniform else {
                throw .refused("the delay engine draws jitter uniformly; distribution \(l.distribution.rawValue) needs netem on a device, which would also delay the management channel")
            }
            return .delayEngine(DelayEngineSpec(namespace: namespace, match: try inbound(l.filter), exemptions: exemptions,
                                                delay: l.delay.duration, jitter: l.jitter.duration,
                                                correlationPercent: l.correlation.points))
        case .duplicate(let d):
            let device = try netemDevice(d.filter)
            return .netem(NetemSpec(namespace: namespace, device: device, exemptions: exemptions, duplicatePercent: d.percent.points,
                                    duplicateCorrelationPercent: d.correlation.points))
        case .corrupt(let c):
            let device = try netemDevice(c.filter)
            return .netem(NetemSpec(namespace: namespace, device: device, exemptions: exemptions, corruptPercent: c.percent.points,
                                    corruptCorrelationPercent: c.correlation.points))
        case .reorder(let r):
            let device = try netemDevice(r.filter)
            return .netem(NetemSpec(namespace: namespace, device: device, exemptions: exemptions, delay: r.delay.duration,
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
                                            peers: try networks(b.filter.peers), exemptions: exemptions))
        case .kill, .pause, .clock:
            throw .refused("\(fault.kind.rawValue) is not a network fault")
        }
    }

    /// Every peer-filtered mechanism here (nftables, NFQUEUE, netem through an ifb) acts on
    /// packets arriving at this host.
    func requireInbound(_ filter: NetworkFilter) throws(MappingError) {
        guard filter.direction == .inbound else {
            throw .refused("this fault acts on packets arriving at the host (direction inbound); for the other direction the controller applies it on the peer")
        }
    }

    /// nftables and NFQUEUE faults act on packets arriving at this host.
    func inbound(_ filter: NetworkFilter) throws(MappingError) -> InboundMatch {
        try requireInbound(filter)
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

    /// Latency on netem: packets arriving from the peers go through an ifb whose root is netem.
    func netemIngress(_ l: Latency) throws(MappingError) -> NetemSpec {
        var spec = try netemIngress(l.filter)
        spec.delay = l.delay.duration
        spec.jitter = l.jitter.duration
        spec.delayCorrelationPercent = l.correlation.points
        spec.distribution = switch l.distribution {
        case .uniform: .uniform
        case .normal: .normal
        case .pareto: .pareto
        case .paretonormal: .paretonormal
        }
        return spec
    }

    func netemIngress(_ filter: NetworkFilter, loss: Loss) throws(MappingError) -> NetemSpec {
        var spec = try netemIngress(filter)
        spec.lossPercent = loss.percent.points
        spec.lossCorrelationPercent = loss.correlation.points
        return spec
    }

    /// The ifb redirect every netem-on-arrival fault shares: by peer, management exempt.
    func netemIngress(_ filter: NetworkFilter) throws(MappingError) -> NetemSpec {
        try requireInbound(filter)
        guard filter.ports.isEmpty, filter.networkProtocol == .all else {
            throw .refused("this fault runs on netem here, which matches arriving packets by peer address only: drop ports and protocol")
        }
        guard let device = filter.device ?? defaultDevice else {
            throw .refused("netem on arriving packets needs the device they arrive on: name one in the fault or in the agent's config (device)")
        }
        return NetemSpec(namespace: namespace, device: device, direction: .ingress, peers: try networks(filter.peers),
                         exemptions: exemptions)
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
