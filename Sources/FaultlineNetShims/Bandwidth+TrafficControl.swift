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
                    try applyClassified(netlink: netlink, spec: spec, handle: handle, undo: undo)
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

    /// htb root `X:` as a classifier only: one class `X:1` that never throttles, whose leaf
    /// is the `tbf` that shapes. Unclassified traffic goes to `X:1` when the whole device is
    /// limited, or directly (unshaped) when only `peers` are; the management filters name
    /// the root itself, `X:0`, which htb sends directly.
    ///
    /// Why tbf shapes, not the htb class: htb charges a GSO packet (up to 64 KiB on veth)
    /// whole, so at 8 kbit/s it sends 64 KiB and then nothing for a minute; tbf segments a
    /// packet larger than its bucket, and its byte limit bounds the queueing delay
    /// (`latency`), as the plain-tbf path does. The kernel logs once per fault that htb's
    /// leaf "is non-work-conserving": expected, tbf holds packets back on purpose.
    private func applyClassified(netlink: RouteNetlink, spec: BandwidthSpec, handle: UInt32,
                                 undo: TrafficControlUndo) throws {
        let wholeDevice = spec.peers.isEmpty
        let index = try TrafficControlOwnership.installRoot(netlink: netlink, device: spec.device, handle: handle,
                                                            kind: "htb") { qdisc in
            let defaultClass: UInt32 = wholeDevice ? 1 : 0
            try RouteNetlink.check("rtnl_htb_set_defcls(\(defaultClass))", rtnl_htb_set_defcls(qdisc, defaultClass))
        }
        do {
            let classid = handle | 1
            try netlink.addClass(ifindex: index, parent: handle, classid: classid, kind: "htb") { tclass in
                // Above any rate a fault may ask for (< 16 Gbit/s): the class never throttles.
                let unthrottled = UInt32.max
                try RouteNetlink.check("rtnl_htb_set_rate", rtnl_htb_set_rate(tclass, unthrottled))
                try RouteNetlink.check("rtnl_htb_set_ceil", rtnl_htb_set_ceil(tclass, unthrottled))
                try RouteNetlink.check("rtnl_htb_set_rbuffer", rtnl_htb_set_rbuffer(tclass, 1 << 20))
                try RouteNetlink.check("rtnl_htb_set_cbuffer", rtnl_htb_set_cbuffer(tclass, 1 << 20))
                try RouteNetlink.check("rtnl_htb_set_quantum", rtnl_htb_set_quantum(tclass, 60_000))
            }
            try netlink.addQdisc(ifindex: index, parent: classid, handle: 0, kind: "tbf", flags: fl_nlm_f_create(),
                                 description: "tbf under \(RouteNetlink.handleText(classid))") { try Self.configureTBF($0, spec) }
            try ManagementClassifier.steerEgress(netlink: netlink, ifindex: index, parent: handle, classid: handle,
                                                 exemptions: spec.exemptions)
            for peer in spec.peers {
                try netlink.addU32Filter(ifindex: index, parent: handle, priority: IngressRedirect.redirectPriority,
                                         protocol: IngressRedirect.ethernetIPv4) { filter in
                    try IngressRedirect.addAddressKey(filter, peer, offset: 16)
                    try RouteNetlink.check("rtnl_u32_set_classid", rtnl_u32_set_classid(filter, classid))
                    try RouteNetlink.check("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(filter))
                }
            }
        } catch {
            try? TrafficControlOwnership.revert(undo)
            throw error
        }
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
