#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Removes, from one network namespace, every kernel object that carries Faultline's own
/// marks, whether or not an undo record names it: what a lost, truncated or damaged ledger
/// leaves behind after `kill -9`.
///
/// The marks are exactly the names and handles the shims give what they create (see `Shim`):
/// - nftables tables `inet fl_<fault id>` (partition, loss);
/// - iptables-nft chains `FL-<8 hex>` in `ip mangle` and their jumps from `PREROUTING`
///   (the delay engine), removed as the delay engine's revert does (`MangleTableCleanup`);
/// - root qdiscs whose handle major is in `0xF000 ..< 0xFFF0` (netem, bandwidth);
/// - ingress qdiscs holding a u32 filter at `IngressRedirect.redirectPriority`, the
///   priority only our redirects use (left alone, its mirred target gone, it would drop
///   every redirected packet);
/// - ifb links named `fl-<8 hex>`.
///
/// Nothing else is touched: a host's own root qdisc (any other handle), an ingress qdisc
/// without our redirect, a table or link whose name merely starts with `fl` stay. The agent
/// calls this at start-up after the ledger's own records are reverted, so whatever is left
/// was named by no readable record. Only the namespace given is swept (the agent's scope).
public enum OrphanSweep {
    /// Sweeps `namespace` (nil: the caller's own) and answers what it removed, one line each.
    public static func run(in namespace: NetNamespace?) throws -> [String] {
        do {
            return try NamespaceThread.run(in: .init(namespace)) {
                let place = namespace.map { " in \($0)" } ?? ""
                return try sweepNFTables().map { $0 + place } + sweepTrafficControl().map { $0 + place }
            }
        } catch NetShimError.syscall(let call, ENOENT) where call.hasPrefix("open(") {
            return []  // the namespace is gone, and with it everything in it
        }
    }

    // MARK: marks (pure)

    /// `fl_` then a fault id's characters: what `NFTablesUndo` names its tables.
    static func isOurTable(family: Substring, name: Substring) -> Bool {
        family == "inet" && name.hasPrefix("fl_") && (try? FaultID(String(name.dropFirst(3)))) != nil
    }

    /// `FL-` (chains) or `fl-` (ifb links) then exactly 8 lowercase hex digits (`hex8`).
    static func hasHashSuffix(_ name: String, prefix: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let suffix = name.utf8.dropFirst(prefix.utf8.count)
        return suffix.count == 8 && suffix.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The handle majors `TrafficControlOwnership.rootHandle` hands out.
    static func isOurRootHandle(_ handle: UInt32) -> Bool {
        (0xF000..<0xFFF0).contains(handle >> 16)
    }

    // MARK: sweeping (on the namespace thread)

    private static func sweepNFTables() throws -> [String] {
        let listing = try NFTables.run("list tables\n")
        var removed: [String] = []
        var batch = ""
        for line in listing.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 3, words[0] == "table", isOurTable(family: words[1], name: words[2]) else { continue }
            batch += "delete table \(words[1]) \(words[2])\n"
            removed.append("nftables table \(words[1]) \(words[2])")
        }
        if !batch.isEmpty { try NFTables.run(batch) }
        if listing.split(separator: "\n").contains("table ip mangle") {
            removed += try sweepDelayEngineChains()
        }
        return removed
    }

    private static func sweepDelayEngineChains() throws -> [String] {
        let json = try NFTables.run("list table ip mangle\n", json: true)
        guard let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let items = root["nftables"] as? [[String: Any]] else { return [] }
        let chains = items.compactMap { ($0["chain"] as? [String: Any])?["name"] as? String }
            .filter { hasHashSuffix($0, prefix: "FL-") }
        var removed: [String] = []
        for chain in Set(chains).sorted() {
            let undo = DelayEngineUndo(namespace: nil, table: "mangle", chain: chain, hookChain: "PREROUTING",
                                       queueNumber: 0, faultID: try FaultID("orphan"))
            guard let commands = try MangleTableCleanup.revertBatch(undo) else { continue }
            try NFTables.run(commands)
            removed.append("iptables chain mangle \(chain) and its PREROUTING jump")
        }
        return removed
    }

    private static func sweepTrafficControl() throws -> [String] {
        let netlink = try RouteNetlink()
        var removed: [String] = []
        let links = try netlink.links()
        let ourIFBs = links.filter { $0.type == "ifb" && hasHashSuffix($0.name, prefix: "fl-") }
        // An ifb of ours goes whole, its root qdisc with it.
        for link in links where !ourIFBs.contains(link) {
            for qdisc in try netlink.qdiscs(ifindex: link.ifindex) {
                if qdisc.parent == RouteNetlink.rootParent, isOurRootHandle(qdisc.handle) {
                    try netlink.deleteQdisc(ifindex: link.ifindex, parent: RouteNetlink.rootParent, handle: qdisc.handle, kind: qdisc.kind)
                    removed.append("root qdisc \(qdisc.kind) \(RouteNetlink.handleText(qdisc.handle)) on \(link.name)")
                } else if qdisc.parent == RouteNetlink.ingressParent,
                          try netlink.filterPriorities(ifindex: link.ifindex, parent: RouteNetlink.ingressHandle)
                            .contains(IngressRedirect.redirectPriority) {
                    try netlink.deleteQdisc(ifindex: link.ifindex, parent: RouteNetlink.ingressParent,
                                            handle: RouteNetlink.ingressHandle, kind: "ingress")
                    removed.append("ingress qdisc on \(link.name) (redirect to an ifb of ours)")
                }
            }
        }
        for link in ourIFBs {
            try netlink.deleteLink(name: link.name)
            removed.append("ifb \(link.name)")
        }
        return removed
    }
}
