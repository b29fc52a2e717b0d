#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// Shapes packets *arriving* at a device, which qdiscs can only do on egress: an `ifb`
/// device of our own (`fl-<8 hex>`, inside the target's namespace), an `ingress` qdisc on the
/// device with u32 filters whose `mirred egress redirect` sends packets to the ifb, and a
/// root qdisc of the fault's kind (tbf, netem) on the ifb's egress.
///
/// Shared by ingress bandwidth and ingress netem. Packets from `exemptions` (the
/// management channel) match a filter of higher priority with no action, which ends
/// classification and lets them through untouched. Revert (`TrafficControlOwnership`)
/// deletes the ingress qdisc and the ifb, and with it the root qdisc on it.
enum IngressRedirect {
    /// Redirect filters; exemptions sit one priority ahead (lower number = consulted first).
    static let redirectPriority: UInt16 = 0xFA1
    static let exemptionPriority: UInt16 = 0xFA0
    static let ethernetAll: UInt16 = 0x0003
    static let ethernetIPv4: UInt16 = 0x0800

    /// `sources` empty: every packet. Exemptions must be IPv4 (or address-less with a port).
    static func install(namespace: NetNamespace?, device: String, undo: TrafficControlUndo, handle: UInt32,
                        rootKind: String, sources: [IPNetwork], exemptions: [ManagementExemption],
                        configureRoot: @escaping (OpaquePointer) throws -> Void) throws {
        guard let ifb = undo.ifb else { throw NetShimError.invalidSpec("ingress shaping needs an ifb in its undo record") }
        try NamespaceThread.run(in: .init(namespace)) {
            let netlink = try RouteNetlink()
            guard let index = try netlink.ifindex(of: device) else {
                throw NetShimError.library(call: "rtnl_link_get_kernel(\(device))", message: "no such device")
            }
            // Re-apply of the same fault: remove ours first.
            if try netlink.ifindex(of: ifb) != nil { try TrafficControlOwnership.revert(undo) }
            if let existing = try netlink.qdiscs(ifindex: index).first(where: { $0.parent == RouteNetlink.ingressParent }) {
                throw NetShimError.refused("\(device) already has an \(existing.kind) qdisc that Faultline does not own; it is never replaced")
            }
            try netlink.addLink(name: ifb, type: "ifb")
            do {
                guard let ifbIndex = try netlink.ifindex(of: ifb) else {
                    throw NetShimError.library(call: "rtnl_link_get_kernel(\(ifb))", message: "ifb vanished after creation")
                }
                try netlink.addQdisc(ifindex: ifbIndex, parent: RouteNetlink.rootParent, handle: handle, kind: rootKind,
                                     flags: fl_nlm_f_create() | fl_nlm_f_replace(), description: "\(rootKind) root on \(ifb)",
                                     configure: configureRoot)
                try netlink.addQdisc(ifindex: index, parent: RouteNetlink.ingressParent, handle: RouteNetlink.ingressHandle,
                                     kind: "ingress", flags: fl_nlm_f_create() | fl_nlm_f_excl(),
                                     description: "ingress on \(device)")
                for exemption in exemptions {
                    try netlink.addU32Filter(ifindex: index, parent: RouteNetlink.ingressHandle, priority: exemptionPriority,
                                             protocol: ethernetIPv4) { filter in
                        try addExemptionKeys(filter, exemption)
                        try RouteNetlink.check("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(filter))
                    }
                }
                if !exemptions.isEmpty {
                    try ManagementClassifier.addARP(netlink: netlink, ifindex: index, parent: RouteNetlink.ingressHandle, classid: nil)
                }
                let matches: [IPNetwork?] = sources.isEmpty ? [nil] : sources
                for source in matches {
                    try netlink.addU32Filter(ifindex: index, parent: RouteNetlink.ingressHandle, priority: redirectPriority,
                                             protocol: source == nil ? ethernetAll : ethernetIPv4) { filter in
                        if let source {
                            try addAddressKey(filter, source, offset: 12)
                        } else {
                            try RouteNetlink.check("rtnl_u32_add_key_uint32(match all)", rtnl_u32_add_key_uint32(filter, 0, 0, 0, 0))
                        }
                        try addRedirect(filter, to: ifbIndex)
                        // Like tc, mark the key terminal: u32 runs a node's actions (or
                        // returns its class) only when the selector is terminal.
                        try RouteNetlink.check("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(filter))
                    }
                }
            } catch {
                try? TrafficControlOwnership.revert(undo)
                throw error
            }
        }
    }

    /// IPv4 source inside the exemption's network and TCP destination port = the agent's
    /// port (the controller calling in; ingress never sees the agent's own replies). The
    /// port sits at offset 22 when the IP header has no options, as tc's `ip dport` assumes.
    static func addExemptionKeys(_ filter: OpaquePointer, _ exemption: ManagementExemption) throws {
        if let address = exemption.address { try addAddressKey(filter, address, offset: 12) }
        if let port = exemption.port {
            try RouteNetlink.check("rtnl_u32_add_key_uint8(protocol tcp)", rtnl_u32_add_key_uint8(filter, 6, 0xFF, 9, 0))
            try RouteNetlink.check("rtnl_u32_add_key_uint16(dport \(port))", rtnl_u32_add_key_uint16(filter, port, 0xFFFF, 22, 0))
        }
    }

    static func addAddressKey(_ filter: OpaquePointer, _ network: IPNetwork, offset: Int32) throws {
        var address = in_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: network.bytes) }
        try RouteNetlink.check("rtnl_u32_add_key_in_addr(\(network))",
                               rtnl_u32_add_key_in_addr(filter, &address, UInt8(network.prefixLength), offset, 0))
    }

    static func addRedirect(_ filter: OpaquePointer, to ifbIndex: Int32) throws {
        guard let action = rtnl_act_alloc() else { throw NetShimError.library(call: "rtnl_act_alloc", message: "NULL") }
        defer { rtnl_act_put(action) }
        try RouteNetlink.check("rtnl_tc_set_kind(mirred)", rtnl_tc_set_kind(action, "mirred"))
        try RouteNetlink.check("rtnl_mirred_set_action(egress redirect)", rtnl_mirred_set_action(action, fl_tca_egress_redir()))
        try RouteNetlink.check("rtnl_mirred_set_policy(stolen)", rtnl_mirred_set_policy(action, fl_tc_act_stolen()))
        try RouteNetlink.check("rtnl_mirred_set_ifindex", rtnl_mirred_set_ifindex(action, UInt32(ifbIndex)))
        try RouteNetlink.check("rtnl_u32_add_action", rtnl_u32_add_action(filter, action))
    }
}
