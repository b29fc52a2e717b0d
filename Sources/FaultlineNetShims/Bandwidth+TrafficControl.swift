#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// Bandwidth limit with tbf/htb through libnl-route-3.
///
/// - Egress, every destination: `htb` root (a classifier only) whose default class leads to
///   a `tbf` at the rate, with u32 filters sending the management flow (`exemptions`: the
///   agent's answers to its controller) and ARP directly, unshaped — a whole-device limit
///   of 8 kbit/s must not starve the lease renewals. With no exemptions (a bare shim call),
///   plain `tbf` as the device's root qdisc.
/// - Egress, some destinations: the same `htb` root and `tbf` class, but unclassified
///   traffic is sent directly and one u32 filter per destination (IPv4 `dst` at offset 16)
///   steers into the class — so only those peers are limited; the management flow is
///   steered around the class first, even when a peer network contains the controller.
/// - Ingress: an `ifb` device of our own (`fl-<8 hex>`) created inside the target's
///   namespace (the root namespace's own ifb0/ifb1 are never used), an `ingress` qdisc on the
///   device with a u32 filter (every packet, or IPv4 `src` at offset 12 per peer) whose
///   `mirred egress redirect` action sends packets to the ifb, and `tbf` on the ifb's egress;
///   the controller calling the agent's port (and ARP) is never redirected.
///
/// Ownership and refusal rules are in `TrafficControlOwnership`. Revert deletes our root
/// qdisc, our ingress qdisc (with its filter) and our ifb, and nothing else.
public struct BandwidthSpec: Sendable, Codable, Hashable {
    public enum Direction: String, Sendable, Codable, Hashable { case egress, ingress }

    public var namespace: NetNamespace?
    public var device: String
    public var direction: Direction
    /// Rate in bits per second (≥ 8000, < 16 Gbit/s: libnl's rate field is 32-bit bytes/s).
    public var bitsPerSecond: UInt64
    /// Bucket size in bytes; nil = max(10 ms at the rate, 32 KiB).
    public var burstBytes: UInt32?
    /// Longest time a packet may wait in the tbf queue (sets its byte limit).
    public var latency: Duration
    /// Egress: limit only traffic to these IPv4 destinations (htb + u32). Ingress: only
    /// traffic from these IPv4 sources. Empty: all traffic.
    public var peers: [IPNetwork]
    /// The management flow, never shaped (IPv4 addresses, or address-less with a port).
    public var exemptions: [ManagementExemption]

    public init(namespace: NetNamespace? = nil, device: String, direction: Direction, bitsPerSecond: UInt64,
                burstBytes: UInt32? = nil, latency: Duration = .milliseconds(50), peers: [IPNetwork] = [],
                exemptions: [ManagementExemption] = []) {
        self.namespace = namespace
        self.device = device
        self.direction = direction
        self.bitsPerSecond = bitsPerSecond
        self.burstBytes = burstBytes
        self.latency = latency
        self.peers = peers
        self.exemptions = exemptions
    }

    var bytesPerSecond: Int32 { Int32(clamping: bitsPerSecond / 8) }

    var burst: Int32 {
        Int32(clamping: burstBytes.map(Int64.init) ?? max(Int64(bytesPerSecond) / 100, 32 * 1024))
    }

    var limitBytes: Int32 {
        Int32(clamping: Int64(Double(bytesPerSecond) * latency.nanoseconds / 1e9) + Int64(burst))
    }
}

public struct BandwidthShim: NetFaultShim {

    public init() {}

    public func undoRecord(for id: FaultID, spec: BandwidthSpec) throws -> TrafficControlUndo {
        try spec.namespace?.validate()
        try validateDevice(spec.device)
        guard spec.bitsPerSecond >= 8000, spec.bitsPerSecond / 8 < UInt64(Int32.max) else {
            throw NetShimError.invalidSpec("rate \(spec.bitsPerSecond) bit/s must be in [8 kbit/s, 16 Gbit/s)")
        }
        guard spec.latency > .zero else { throw NetShimError.invalidSpec("latency must be positive") }
        if spec.peers.contains(where: { $0.family != .ipv4 }) {
            throw NetShimError.invalidSpec("bandwidth peers must be IPv4 (u32 keys are IPv4 here)")
        }
        try spec.exemptions.forEach { try $0.validate() }
        if spec.exemptions.contains(where: { ($0.address?.family ?? .ipv4) != .ipv4 }) {
            throw NetShimError.invalidSpec("bandwidth exemptions must be IPv4 (u32 keys are IPv4 here)")
        }
        switch spec.direction {
        case .egress:
            return TrafficControlUndo(namespace: spec.namespace, device: spec.device,
                                      rootHandle: TrafficControlOwnership.rootHandle(for: id), ingressRedirect: false, ifb: nil)
        case .ingress:
            return TrafficControlUndo(namespace: spec.namespace, device: spec.device, rootHandle: nil,
                                      ingressRedirect: true, ifb: TrafficControlOwnership.ifbName(for: id))
        }
    }

    @discardableResult
    public func apply(_ spec: BandwidthSpec, for id: FaultID) throws -> TrafficControlUndo {
        let undo = try undoRecord(for: id, spec: spec)
        let handle = TrafficControlOwnership.rootHandle(for: id)
        switch spec.direction {
        case .egress:
            try NamespaceThread.run(in: .init(spec.namespace)) {
                let netlink = try RouteNetlink()
                if spec.peers.isEmpty && spec.exemptions.isEmpty {
                    _ = try TrafficControlOwnership.installRoot(netlink: netlink, device: spec.device, handle: handle,
                                                                kind: "tbf") { try Self.configureTBF($0, spec) }
                } else {
                    try ClassifierRoot.install(netlink: netlink, device: spec.device, handle: handle, undo: undo,
                                               shapedDestinations: spec.peers, exemptions: spec.exemptions,
                                               leafKind: "tbf") { try Self.configureTBF($0, spec) }
                }
            }
        case .ingress:
            try applyIngress(spec, undo: undo, handle: handle)
        }
        return undo
    }

    public func revert(_ undo: TrafficControlUndo) throws {
        try TrafficControlOwnership.revert(undo)
    }

    private func applyIngress(_ spec: BandwidthSpec, undo: TrafficControlUndo, handle: UInt32) throws {
        try IngressRedirect.install(namespace: spec.namespace, device: spec.device, undo: undo, handle: handle,
                                    rootKind: "tbf", sources: spec.peers, exemptions: spec.exemptions) { try Self.configureTBF($0, spec) }
    }

    static func configureTBF(_ qdisc: OpaquePointer, _ spec: BandwidthSpec) throws {
        rtnl_qdisc_tbf_set_rate(qdisc, spec.bytesPerSecond, spec.burst, 0)
        rtnl_qdisc_tbf_set_limit(qdisc, spec.limitBytes)
    }

    public func availability() -> Availability { Self.probed }

    /// Applies real egress (tbf; htb + u32 with and without peers, management steered
    /// around) and ingress (ifb + mirred) shaping to `lo` in a scratch namespace.
    private static let probed: Availability = {
        do {
            try NamespaceThread.run(in: .scratch) {
                let shim = BandwidthShim()
                let id = try FaultID("probe")
                let peer = try IPNetwork("192.0.2.1")
                let management = [ManagementExemption(address: try IPNetwork("192.0.2.2"), port: 7433)]
                for spec in [BandwidthSpec(device: "lo", direction: .egress, bitsPerSecond: 1_000_000),
                             BandwidthSpec(device: "lo", direction: .egress, bitsPerSecond: 1_000_000, exemptions: management),
                             BandwidthSpec(device: "lo", direction: .egress, bitsPerSecond: 1_000_000, peers: [peer],
                                           exemptions: management),
                             BandwidthSpec(device: "lo", direction: .ingress, bitsPerSecond: 1_000_000, exemptions: management)] {
                    try shim.revert(try shim.apply(spec, for: id))
                }
            }
            return .available
        } catch {
            return .unavailable(reason: "bandwidth: probe in a scratch namespace failed: \(error)")
        }
    }()
}
