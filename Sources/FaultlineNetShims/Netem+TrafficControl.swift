import CNLRoute

/// netem (delay, jitter, correlation, distribution, loss, duplicate, corrupt, reorder),
/// through libnl-route-3, where the kernel has `sch_netem`.
///
/// - Egress: netem on every packet leaving the device (one root qdisc of ours, see
///   `TrafficControlOwnership`; revert deletes it). With `exemptions`, the root is an htb
///   classifier with netem as its leaf (`ClassifierRoot`), so the agent's answers to its
///   controller are never duplicated, corrupted or reordered; without, netem is the root.
/// - Ingress: packets arriving from `peers` (all, when empty) are redirected to an ifb of our
///   own whose root is netem (`IngressRedirect`); the management channel's packets are
///   exempt. This is how latency is injected on hosts that have netem: it matches the
///   delay engine's semantics (inbound, by peer) with the work done in the kernel.
///
/// This machine's kernel lacks netem; `availability()` says so, and the delay engine
/// (`DelayEngineShim`) stands in. Most distribution kernels have it (the guest lab's does).
public struct NetemSpec: Sendable, Codable, Hashable {
    public enum Direction: String, Sendable, Codable, Hashable { case egress, ingress }

    public enum Distribution: String, Sendable, Codable, Hashable {
        /// netem's built-in: uniform jitter.
        case uniform
        /// Tables from iproute2's `/usr/lib/tc/*.dist` (loaded by libnl).
        case normal, pareto, paretonormal
    }

    public var namespace: NetNamespace?
    public var device: String
    public var direction: Direction
    /// Ingress only: sources whose packets netem acts on (IPv4); empty: every packet.
    public var peers: [IPNetwork]
    /// Traffic netem never touches (the management channel): on ingress the controller
    /// calling the agent's port, on egress the agent's answers. IPv4 only (u32 keys).
    public var exemptions: [ManagementExemption]
    public var delay: Duration
    public var jitter: Duration
    public var delayCorrelationPercent: Double
    public var distribution: Distribution
    public var lossPercent: Double
    public var lossCorrelationPercent: Double
    public var duplicatePercent: Double
    public var duplicateCorrelationPercent: Double
    public var corruptPercent: Double
    public var corruptCorrelationPercent: Double
    /// Packets sent at once, without delay (needs a delay).
    public var reorderPercent: Double
    public var reorderCorrelationPercent: Double
    /// Queue limit in packets.
    public var limit: UInt32

    public init(namespace: NetNamespace? = nil, device: String, direction: Direction = .egress,
                peers: [IPNetwork] = [], exemptions: [ManagementExemption] = [], delay: Duration = .zero, jitter: Duration = .zero,
                delayCorrelationPercent: Double = 0, distribution: Distribution = .uniform,
                lossPercent: Double = 0, lossCorrelationPercent: Double = 0,
                duplicatePercent: Double = 0, duplicateCorrelationPercent: Double = 0,
                corruptPercent: Double = 0, corruptCorrelationPercent: Double = 0,
                reorderPercent: Double = 0, reorderCorrelationPercent: Double = 0, limit: UInt32 = 10_000) {
        self.namespace = namespace
        self.device = device
        self.direction = direction
        self.peers = peers
        self.exemptions = exemptions
        self.delay = delay
        self.jitter = jitter
        self.delayCorrelationPercent = delayCorrelationPercent
        self.distribution = distribution
        self.lossPercent = lossPercent
        self.lossCorrelationPercent = lossCorrelationPercent
        self.duplicatePercent = duplicatePercent
        self.duplicateCorrelationPercent = duplicateCorrelationPercent
        self.corruptPercent = corruptPercent
        self.corruptCorrelationPercent = corruptCorrelationPercent
        self.reorderPercent = reorderPercent
        self.reorderCorrelationPercent = reorderCorrelationPercent
        self.limit = limit
    }
}

public struct NetemShim: NetFaultShim {
    public init() {}

    public func undoRecord(for id: FaultID, spec: NetemSpec) throws -> TrafficControlUndo {
        try spec.namespace?.validate()
        try validateDevice(spec.device)
        let percents = [("delay correlation", spec.delayCorrelationPercent), ("loss", spec.lossPercent),
                        ("loss correlation", spec.lossCorrelationPercent), ("duplicate", spec.duplicatePercent),
                        ("duplicate correlation", spec.duplicateCorrelationPercent), ("corrupt", spec.corruptPercent),
                        ("corrupt correlation", spec.corruptCorrelationPercent), ("reorder", spec.reorderPercent),
                        ("reorder correlation", spec.reorderCorrelationPercent)]
        for (name, value) in percents where !(0...100).contains(value) {
            throw NetShimError.invalidSpec("netem \(name) \(value) % must be in [0, 100]")
        }
        guard spec.delay >= .zero, spec.jitter >= .zero, spec.delay < .seconds(60) else {
            throw NetShimError.invalidSpec("netem delay must be in [0, 60 s), jitter ≥ 0")
        }
        if spec.reorderPercent > 0 && spec.delay == .zero {
            throw NetShimError.invalidSpec("netem reorder needs a delay (reordered packets skip it)")
        }
        if spec.distribution != .uniform && spec.jitter == .zero {
            throw NetShimError.invalidSpec("netem distribution \(spec.distribution.rawValue) needs a jitter")
        }
        switch spec.direction {
        case .egress:
            guard spec.peers.isEmpty else {
                throw NetShimError.invalidSpec("egress netem acts on the whole device: peers apply to ingress only")
            }
            if spec.exemptions.contains(where: { ($0.address?.family ?? .ipv4) != .ipv4 }) {
                throw NetShimError.invalidSpec("netem exemptions must be IPv4 (u32 keys are IPv4 here)")
            }
            try spec.exemptions.forEach { try $0.validate() }
            return TrafficControlUndo(namespace: spec.namespace, device: spec.device,
                                      rootHandle: TrafficControlOwnership.rootHandle(for: id), ingressRedirect: false, ifb: nil)
        case .ingress:
            if spec.peers.contains(where: { $0.family != .ipv4 }) || spec.exemptions.contains(where: { ($0.address?.family ?? .ipv4) != .ipv4 }) {
                throw NetShimError.invalidSpec("ingress netem peers and exemptions must be IPv4 (u32 keys are IPv4 here)")
            }
            try spec.exemptions.forEach { try $0.validate() }
            return TrafficControlUndo(namespace: spec.namespace, device: spec.device, rootHandle: nil,
                                      ingressRedirect: true, ifb: TrafficControlOwnership.ifbName(for: id))
        }
    }

    @discardableResult
    public func apply(_ spec: NetemSpec, for id: FaultID) throws -> TrafficControlUndo {
        let undo = try undoRecord(for: id, spec: spec)
        let handle = TrafficControlOwnership.rootHandle(for: id)
        if spec.direction == .ingress {
            try IngressRedirect.install(namespace: spec.namespace, device: spec.device, undo: undo, handle: handle,
                                        rootKind: "netem", sources: spec.peers, exemptions: spec.exemptions) { try Self.configure($0, spec) }
            return undo
        }
        try NamespaceThread.run(in: .init(spec.namespace)) {
            let netlink = try RouteNetlink()
            if spec.exemptions.isEmpty {
                _ = try TrafficControlOwnership.installRoot(netlink: netlink, device: spec.device,
                                                            handle: handle, kind: "netem") { qdisc in
                    try Self.configure(qdisc, spec)
                }
            } else {
                try ClassifierRoot.install(netlink: netlink, device: spec.device, handle: handle, undo: undo,
                                           shapedDestinations: [], exemptions: spec.exemptions,
                                           leafKind: "netem") { try Self.configure($0, spec) }
            }
        }
        return undo
    }

    public func revert(_ undo: TrafficControlUndo) throws {
        try TrafficControlOwnership.revert(undo)
    }

    /// Sets netem's parameters on a libnl qdisc. Probabilities and correlations go to the
    /// kernel scaled to 0...UINT32_MAX (as tc does); times in microseconds.
    static func configure(_ qdisc: OpaquePointer, _ spec: NetemSpec) throws {
        func scaled(_ percent: Double) -> Int32 {
            Int32(bitPattern: UInt32((percent / 100 * Double(UInt32.max)).rounded()))
        }
        func microseconds(_ duration: Duration) -> Int32 {
            Int32(clamping: Int64((duration.nanoseconds / 1000).rounded()))
        }
        rtnl_netem_set_limit(qdisc, Int32(clamping: spec.limit))
        if spec.delay > .zero { rtnl_netem_set_delay(qdisc, microseconds(spec.delay)) }
        if spec.jitter > .zero { rtnl_netem_set_jitter(qdisc, microseconds(spec.jitter)) }
        if spec.delayCorrelationPercent > 0 { rtnl_netem_set_delay_correlation(qdisc, scaled(spec.delayCorrelationPercent)) }
        if spec.distribution != .uniform {
            try RouteNetlink.check("rtnl_netem_set_delay_distribution(\(spec.distribution.rawValue))",
                                   rtnl_netem_set_delay_distribution(qdisc, spec.distribution.rawValue))
        }
        if spec.lossPercent > 0 { rtnl_netem_set_loss(qdisc, scaled(spec.lossPercent)) }
        if spec.lossCorrelationPercent > 0 { rtnl_netem_set_loss_correlation(qdisc, scaled(spec.lossCorrelationPercent)) }
        if spec.duplicatePercent > 0 { rtnl_netem_set_duplicate(qdisc, scaled(spec.duplicatePercent)) }
        if spec.duplicateCorrelationPercent > 0 { rtnl_netem_set_duplicate_correlation(qdisc, scaled(spec.duplicateCorrelationPercent)) }
        if spec.corruptPercent > 0 { rtnl_netem_set_corruption_probability(qdisc, scaled(spec.corruptPercent)) }
        if spec.corruptCorrelationPercent > 0 { rtnl_netem_set_corruption_correlation(qdisc, scaled(spec.corruptCorrelationPercent)) }
        if spec.reorderPercent > 0 {
            rtnl_netem_set_reorder_probability(qdisc, scaled(spec.reorderPercent))
            if spec.reorderCorrelationPercent > 0 { rtnl_netem_set_reorder_correlation(qdisc, scaled(spec.reorderCorrelationPercent)) }
            rtnl_netem_set_gap(qdisc, 1)
        }
    }

    public func availability() -> Availability { Self.probed }

    /// netem on arriving packets also needs ifb, the ingress qdisc, u32 and mirred: applies a
    /// peer-filtered ingress netem with an exemption to `lo` in a scratch namespace.
    public func ingressAvailability() -> Availability { Self.probedIngress }

    private static let probedIngress: Availability = {
        if case .unavailable = probed { return probed }
        do {
            try NamespaceThread.run(in: .scratch) {
                let shim = NetemShim()
                let spec = NetemSpec(device: "lo", direction: .ingress, peers: [try IPNetwork("192.0.2.1")],
                                     exemptions: [ManagementExemption(address: try IPNetwork("192.0.2.2"), port: 7433)],
                                     delay: .milliseconds(1))
                try shim.revert(try shim.apply(spec, for: try FaultID("probe")))
            }
            return .available
        } catch {
            return .unavailable(reason: "netem on arriving packets (ifb + mirred): probe in a scratch namespace failed: \(error)")
        }
    }()

    /// Adds a netem root qdisc to `lo` in a scratch namespace (and deletes it).
    private static let probed: Availability = {
        do {
            try NamespaceThread.run(in: .scratch) {
                let netlink = try RouteNetlink()
                guard let lo = try netlink.ifindex(of: "lo") else {
                    throw NetShimError.library(call: "rtnl_link_get_kernel(lo)", message: "no loopback in scratch namespace")
                }
                do {
                    try netlink.addQdisc(ifindex: lo, parent: RouteNetlink.rootParent, handle: 0xF000_0000, kind: "netem",
                                         flags: fl_nlm_f_create(), description: "netem root on lo") { qdisc in
                        rtnl_netem_set_delay(qdisc, 1000)
                    }
                } catch let NetShimError.library(call, message) {
                    throw NetShimError.unavailable("kernel has no sch_netem (\(call) → \(message))")
                }
                try netlink.deleteQdisc(ifindex: lo, parent: RouteNetlink.rootParent, handle: 0xF000_0000, kind: "netem")
            }
            return .available
        } catch let NetShimError.unavailable(reason) {
            return .unavailable(reason: "netem: \(reason)")
        } catch {
            return .unavailable(reason: "netem: probe failed: \(error)")
        }
    }()
}

/// Interface names: 1-15 bytes, no '/', no whitespace, not "." or "..".
func validateDevice(_ name: String) throws {
    guard (1...15).contains(name.utf8.count), !name.contains("/"), !name.contains(" "), name != ".", name != ".." else {
        throw NetShimError.invalidSpec("device name '\(name)' must be 1-15 characters without '/' or spaces")
    }
}
