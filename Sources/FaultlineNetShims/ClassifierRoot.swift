#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// An egress fault's root qdisc when some traffic must escape it: `htb` root `X:` used as a
/// classifier only, one class `X:1` that never throttles, and the fault's own qdisc (tbf,
/// netem) as that class's leaf. Unclassified traffic goes to `X:1` when the whole device is
/// hit, or directly (untouched) when only `shapedDestinations` are, each steered into `X:1`
/// by a u32 filter (IPv4 `dst` at offset 16). The management flow and ARP
/// (`ManagementClassifier`) are steered to the root itself, `X:0`, which htb sends directly.
///
/// Why the fault's qdisc is a leaf rather than htb shaping: htb charges a GSO packet (up to
/// 64 KiB on veth) whole, so at 8 kbit/s it sends 64 KiB and then nothing for a minute; tbf
/// segments a packet larger than its bucket and its byte limit bounds the queueing delay,
/// and netem has no classes of its own. The kernel logs once per fault that htb's leaf "is
/// non-work-conserving": expected, the leaf holds packets back on purpose.
///
/// Ownership is the root handle, as for any root of ours (`TrafficControlOwnership`);
/// deleting the root deletes the class, the leaf and the filters with it.
enum ClassifierRoot {
    static func install(netlink: RouteNetlink, device: String, handle: UInt32, undo: TrafficControlUndo,
                        shapedDestinations: [IPNetwork], exemptions: [ManagementExemption], leafKind: String,
                        configureLeaf: (OpaquePointer) throws -> Void) throws {
        let wholeDevice = shapedDestinations.isEmpty
        let index = try TrafficControlOwnership.installRoot(netlink: netlink, device: device, handle: handle,
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
            try netlink.addQdisc(ifindex: index, parent: classid, handle: 0, kind: leafKind, flags: fl_nlm_f_create(),
                                 description: "\(leafKind) under \(RouteNetlink.handleText(classid))", configure: configureLeaf)
            try ManagementClassifier.steerEgress(netlink: netlink, ifindex: index, parent: handle, classid: handle,
                                                 exemptions: exemptions)
            for destination in shapedDestinations {
                try netlink.addU32Filter(ifindex: index, parent: handle, priority: IngressRedirect.redirectPriority,
                                         protocol: IngressRedirect.ethernetIPv4) { filter in
                    try IngressRedirect.addAddressKey(filter, destination, offset: 16)
                    try RouteNetlink.check("rtnl_u32_set_classid", rtnl_u32_set_classid(filter, classid))
                    try RouteNetlink.check("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(filter))
                }
            }
        } catch {
            try? TrafficControlOwnership.revert(undo)
            throw error
        }
    }
}
