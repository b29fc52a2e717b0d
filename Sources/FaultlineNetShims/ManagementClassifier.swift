#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// u32 filters that steer the management flow around a traffic-control fault.
///
/// On egress (a root htb of ours) the agent's answers to its controller — IPv4 TCP from the
/// agent's port, to the controller's address when one is known — are classified into an
/// unshaped class, so a whole-device bandwidth limit of 8 kbit/s still lets lease renewals
/// through at once. Ingress shaping has its own exemption filters (`IngressRedirect`).
///
/// ARP is steered the same way on both sides: a whole-device fault would otherwise queue
/// the neighbour probes behind the shaped bulk traffic (or drop them at the queue's limit),
/// and when the controller's neighbour entry fails, the management flow stops with it.
enum ManagementClassifier {
    /// ARP gets a priority of its own: u32 filters of one priority share one protocol.
    static let arpPriority: UInt16 = 0xF9F
    static let ethernetARP: UInt16 = 0x0806

    /// Adds, at `parent` (our htb root), a filter per exemption whose class is `classid`
    /// (the root's own handle `X:0`, which htb sends directly, unshaped), and one for ARP.
    static func steerEgress(netlink: RouteNetlink, ifindex: Int32, parent: UInt32, classid: UInt32,
                            exemptions: [ManagementExemption]) throws {
        guard !exemptions.isEmpty else { return }
        for exemption in exemptions {
            try netlink.addU32Filter(ifindex: ifindex, parent: parent, priority: IngressRedirect.exemptionPriority,
                                     protocol: IngressRedirect.ethernetIPv4) { filter in
                try addAnswerKeys(filter, exemption)
                try RouteNetlink.check("rtnl_u32_set_classid", rtnl_u32_set_classid(filter, classid))
                try RouteNetlink.check("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(filter))
            }
        }
        try addARP(netlink: netlink, ifindex: ifindex, parent: parent, classid: classid)
    }

    /// Every ARP packet at `parent`: with `classid` (egress, unshaped class) or with none
    /// (ingress: a match without action ends classification and lets the packet pass).
    static func addARP(netlink: RouteNetlink, ifindex: Int32, parent: UInt32, classid: UInt32?) throws {
        try netlink.addU32Filter(ifindex: ifindex, parent: parent, priority: arpPriority, protocol: ethernetARP) { filter in
            try RouteNetlink.check("rtnl_u32_add_key_uint32(match all)", rtnl_u32_add_key_uint32(filter, 0, 0, 0, 0))
            if let classid {
                try RouteNetlink.check("rtnl_u32_set_classid", rtnl_u32_set_classid(filter, classid))
            }
            try RouteNetlink.check("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(filter))
        }
    }

    /// The agent answering: IPv4 protocol TCP, source port = the agent's port (offset 20
    /// with no IP options, as tc's `ip sport` assumes), destination inside the exemption's
    /// network (offset 16). Never the agent port as a destination: that is the agent calling
    /// out, which it does not.
    static func addAnswerKeys(_ filter: OpaquePointer, _ exemption: ManagementExemption) throws {
        if let address = exemption.address { try IngressRedirect.addAddressKey(filter, address, offset: 16) }
        if let port = exemption.port {
            try RouteNetlink.check("rtnl_u32_add_key_uint8(protocol tcp)", rtnl_u32_add_key_uint8(filter, 6, 0xFF, 9, 0))
            try RouteNetlink.check("rtnl_u32_add_key_uint16(sport \(port))", rtnl_u32_add_key_uint16(filter, port, 0xFFFF, 20, 0))
        }
    }
}
