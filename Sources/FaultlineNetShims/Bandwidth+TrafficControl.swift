#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// Bandwidth limit with tbf/htb through libnl-route-3.
///
/// - Egress, every destination: `tbf` as the device's root qdisc.
/// - Egress, some destinations: `htb` root whose default is unclassified (unshaped, sent
///   directly), one class at the rate, and one u32 filter per destination (IPv4 `dst` at
///   offset 16) steering into it — so only those peers are limited.
/// - Ingress: an `ifb` device of our own (`fl-<8 hex>`) created inside the target's
///   namespace (the root namespace's own ifb0/ifb1 are never used), an `ingress` qdisc on the
///   device with a u32 filter (every packet, or IPv4 `src` at offset 12 per peer) whose
///   `mirred egress redirect` action sends packets to the ifb, and `tbf` on the ifb's egress.
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

    public init(namespace: NetNamespace? = nil, device: String, direction: Direction, bitsPerSecond: UInt64,
                burstBytes: UInt32? = nil, latency: Duration = .milliseconds(50), peers: [IPNetwork] = []) {
        self.namespace = namespace
        self.device = device
        self.direction = direction
        self.bitsPerSecond = bitsPerSecond
        self.burstBytes = burstBytes
        self.latency = latency
        self.peers = peers
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
                if spec.peers.isEmpty {
                    _ = try TrafficControlOwnership.installRoot(netlink: netlink, device: spec.device, handle: handle,
                                                                kind: "tbf") { try Self.configureTBF($0, spec) }
                } else {
                    try applyPerDestination(netlink: netlink, spec: spec, handle: handle, undo: undo)
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

    private func applyPerDestination(netlink: RouteNetlink, spec: BandwidthSpec, handle: UInt32,
                                     undo: TrafficControlUndo) throws {
        let index = try TrafficControlOwnership.installRoot(netlink: netlink, device: spec.device, handle: handle,
                                                            kind: "htb") { qdisc in
            // Default class 0: unclassified traffic is sent directly, unshaped.
            try RouteNetlink.check("rtnl_htb_set_defcls(0)", rtnl_htb_set_defcls(qdisc, 0))
        }
        do {
            let classid = handle | 1
            try netlink.addClass(ifindex: index, parent: handle, classid: classid, kind: "htb") { tclass in
                let rate = UInt32(spec.bytesPerSecond)
                try RouteNetlink.check("rtnl_htb_set_rate", rtnl_htb_set_rate(tclass, rate))
                try RouteNetlink.check("rtnl_htb_set_ceil", rtnl_htb_set_ceil(tclass, rate))
                try RouteNetlink.check("rtnl_htb_set_rbuffer", rtnl_htb_set_rbuffer(tclass, UInt32(spec.burst)))
                try RouteNetlink.check("rtnl_htb_set_cbuffer", rtnl_htb_set_cbuffer(tclass, UInt32(spec.burst)))
                try RouteNetlink.check("rtnl_htb_set_quantum", rtnl_htb_set_quantum(tclass, 60_000))
            }
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
                                    rootKind: "tbf", sources: spec.peers, exemptions: []) { try Self.configureTBF($0, spec) }
    }

    static func configureTBF(_ qdisc: OpaquePointer, _ spec: BandwidthSpec) throws {
        rtnl_qdisc_tbf_set_rate(qdisc, spec.bytesPerSecond, spec.burst, 0)
        rtnl_qdisc_tbf_set_limit(qdisc, spec.limitBytes)
    }

    public func availability() -> Availability { Self.probed }

    /// Applies real egress (tbf, htb + u32) and ingress (ifb + mirred) shaping to `lo` in a
    /// scratch namespace.
    private static let probed: Availability = {
        do {
            try NamespaceThread.run(in: .scratch) {
                let shim = BandwidthShim()
                let id = try FaultID("probe")
                let peer = try IPNetwork("192.0.2.1")
                for spec in [BandwidthSpec(device: "lo", direction: .egress, bitsPerSecond: 1_000_000),
                             BandwidthSpec(device: "lo", direction: .egress, bitsPerSecond: 1_000_000, peers: [peer]),
                             BandwidthSpec(device: "lo", direction: .ingress, bitsPerSecond: 1_000_000)] {
                    try shim.revert(try shim.apply(spec, for: id))
                }
            }
            return .available
        } catch {
            return .unavailable(reason: "bandwidth: probe in a scratch namespace failed: \(error)")
        }
    }()
}
