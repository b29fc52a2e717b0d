#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// What a traffic-control fault owns on a device, and the rule that decides whether it may
/// install its root qdisc there.
///
/// Ownership is by handle: our root qdisc's major is `0xF000 + hash(fault id) mod 0x0FF0`,
/// recorded in the undo record, so revert deletes a root qdisc only if it has exactly that
/// handle. A root qdisc with handle 0 is the kernel's default (noqueue, pfifo_fast, mq...):
/// we may replace it, and deleting ours brings the default back. Any other root qdisc is the
/// host's own (or another fault's): we refuse and never replace or flush it.
public struct TrafficControlUndo: Sendable, Codable, Hashable {
    public var namespace: NetNamespace?
    /// The device the fault is on.
    public var device: String
    /// Our root qdisc handle on `device` (egress faults), deleted on revert if still ours.
    public var rootHandle: UInt32?
    /// Whether we own `device`'s ingress qdisc (ingress shaping). We do exactly when `ifb`
    /// exists: apply creates the ifb first and refuses a device that already has an ingress
    /// qdisc; revert deletes the ingress qdisc before the ifb.
    public var ingressRedirect: Bool
    /// Our ifb device in the same namespace (`fl-<8 hex>`), deleted on revert with its qdiscs.
    public var ifb: String?
}

enum TrafficControlOwnership {
    static func rootHandle(for id: FaultID) -> UInt32 {
        (0xF000 + id.stableHash % 0x0FF0) << 16
    }

    static func ifbName(for id: FaultID) -> String {
        "fl-\(id.stableHash.hex8)"
    }

    enum RootDecision: Equatable {
        /// The device has the kernel's default root: add ours.
        case install
        /// Our own root from an earlier apply of the same fault: replace it.
        case replaceOurs
        case refuse(String)
    }

    /// Decides, from the device's qdiscs, whether our root qdisc may go on (pure).
    static func decideRoot(device: String, qdiscs: [RouteNetlink.Qdisc], ourHandle: UInt32) -> RootDecision {
        guard let root = qdiscs.first(where: { $0.parent == RouteNetlink.rootParent }) else { return .install }
        if root.handle == 0 { return .install }
        if root.handle == ourHandle { return .replaceOurs }
        return .refuse("\(device) already has root qdisc \(root.kind) \(RouteNetlink.handleText(root.handle)) that Faultline does not own; it is never replaced")
    }

    /// Revert: deletes exactly what the undo names, in the namespace's thread.
    static func revert(_ undo: TrafficControlUndo) throws {
        do {
            try NamespaceThread.run(in: .init(undo.namespace)) {
                let netlink = try RouteNetlink()
                if let index = try netlink.ifindex(of: undo.device) {
                    if let handle = undo.rootHandle,
                       let root = try netlink.qdiscs(ifindex: index).first(where: { $0.parent == RouteNetlink.rootParent }),
                       root.handle == handle {
                        try netlink.deleteQdisc(ifindex: index, parent: RouteNetlink.rootParent, handle: handle, kind: root.kind)
                    }
                    if undo.ingressRedirect, let ifb = undo.ifb, try netlink.ifindex(of: ifb) != nil {
                        try netlink.deleteQdisc(ifindex: index, parent: RouteNetlink.ingressParent,
                                                handle: RouteNetlink.ingressHandle, kind: "ingress")
                    }
                }
                if let ifb = undo.ifb { try netlink.deleteLink(name: ifb) }
            }
        } catch NetShimError.syscall(let call, ENOENT) where call.hasPrefix("open(") {
            return  // the namespace is gone, and with it the device
        }
    }

    /// Installs a root qdisc of ours on `device` after checking ownership.
    static func installRoot(netlink: RouteNetlink, device: String, handle: UInt32, kind: String,
                            configure: (OpaquePointer) throws -> Void) throws -> Int32 {
        guard let index = try netlink.ifindex(of: device) else {
            throw NetShimError.library(call: "rtnl_link_get_kernel(\(device))", message: "no such device")
        }
        let flags: Int32
        switch decideRoot(device: device, qdiscs: try netlink.qdiscs(ifindex: index), ourHandle: handle) {
        case .install: flags = fl_nlm_f_create() | fl_nlm_f_replace()
        case .replaceOurs: flags = fl_nlm_f_create() | fl_nlm_f_replace()
        case let .refuse(reason): throw NetShimError.refused(reason)
        }
        try netlink.addQdisc(ifindex: index, parent: RouteNetlink.rootParent, handle: handle, kind: kind, flags: flags,
                             description: "\(kind) root \(RouteNetlink.handleText(handle)) on \(device)", configure: configure)
        return index
    }
}
