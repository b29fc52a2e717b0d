import Foundation
import Testing
@testable import FaultlineNetShims

/// The sweep finds our objects by their marks alone (no undo record), in one namespace only,
/// and leaves the host's own objects, however alike their names, where they are.
@Suite("Orphan sweep: every object with Faultline's marks, nothing else")
struct OrphanSweepTests {
    @Test("after faults of every network mechanism lose their undo records, the sweep restores the namespace exactly")
    func sweepsEverythingOfOurs() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        // The host's own objects, named like ours but without our marks.
        try Subprocess.check(["/usr/sbin/ip", "netns", "exec", net.bName, "/usr/sbin/nft", "add", "table", "inet", "flhost"])
        try Subprocess.check(["/usr/sbin/ip", "netns", "exec", net.bName, "/usr/sbin/nft", "add", "table", "ip", "fl_mine"])
        try net.ip(["-n", net.bName, "link", "add", "fl-host", "type", "ifb"])
        try Subprocess.check(["/usr/sbin/tc", "-n", net.bName, "qdisc", "add", "dev", "fl-host", "root", "handle", "1:",
                              "tbf", "rate", "1gbit", "burst", "64k", "latency", "50ms"])
        let before = try net.kernelState(net.bName)

        let management = [ManagementExemption(address: try IPNetwork(net.addressA), port: 7433)]
        _ = try PartitionShim().apply(PartitionSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork("192.0.2.1")]),
                                                    exemptions: management), for: net.faultID("part"))
        _ = try LossShim().apply(LossSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork("192.0.2.2")]),
                                          exemptions: management, percent: 5), for: net.faultID("loss"))
        _ = try BandwidthShim().apply(BandwidthSpec(namespace: net.b, device: net.vethB, direction: .egress, bitsPerSecond: 1_000_000,
                                                    exemptions: management), for: net.faultID("egress"))
        _ = try BandwidthShim().apply(BandwidthSpec(namespace: net.b, device: net.vethB, direction: .ingress, bitsPerSecond: 1_000_000,
                                                    exemptions: management), for: net.faultID("ingress"))
        let engine = DelayEngineShim()
        let delayID = net.faultID("delay")
        _ = try engine.apply(DelayEngineSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork("192.0.2.3")]),
                                             exemptions: management, delay: .milliseconds(5)), for: delayID)
        engine.killEngineForTest(delayID)  // the process that held it died
        // A fault in another namespace is out of the sweep's scope.
        let elsewhere = try PartitionShim().apply(PartitionSpec(namespace: net.a, match: InboundMatch(peers: [try IPNetwork("192.0.2.9")]),
                                                                exemptions: []), for: net.faultID("other"))
        defer { try? PartitionShim().revert(elsewhere) }
        #expect(before != (try net.kernelState(net.bName)))

        let removed = try OrphanSweep.run(in: net.b)
        print("swept: \(removed)")
        expectSameState(before, try net.kernelState(net.bName))
        #expect(removed.count == 6, "\(removed)")
        #expect(removed.contains { $0.hasPrefix("nftables table inet fl_\(net.tag)-part") })
        #expect(removed.contains { $0.hasPrefix("root qdisc htb f") && $0.contains(" on \(net.vethB)") })
        #expect(removed.contains { $0.hasPrefix("ingress qdisc on \(net.vethB)") })
        #expect(removed.contains { $0.hasPrefix("ifb fl-") })
        #expect(removed.contains { $0.hasPrefix("iptables chain mangle FL-") })
        #expect(removed.allSatisfy { $0.hasSuffix("in netns \(net.bName)") }, "\(removed)")
        #expect(try OrphanSweep.run(in: net.b).isEmpty, "a second sweep finds nothing")
        let other = try Subprocess.check(["/usr/sbin/ip", "netns", "exec", net.aName, "/usr/sbin/nft", "list", "tables"])
        #expect(other.contains("fl_\(net.tag)-other"), "the sweep reached another namespace: \(other)")
    }

    @Test("the marks: names and handles our shims give, and only those")
    func marks() {
        #expect(OrphanSweep.isOurTable(family: "inet", name: "fl_crash-1"))
        #expect(!OrphanSweep.isOurTable(family: "ip", name: "fl_crash-1"))
        #expect(!OrphanSweep.isOurTable(family: "inet", name: "fl_"))
        #expect(!OrphanSweep.isOurTable(family: "inet", name: "filter"))
        #expect(!OrphanSweep.isOurTable(family: "inet", name: "flhost"))
        #expect(OrphanSweep.hasHashSuffix("fl-0a1b2c3d", prefix: "fl-"))
        #expect(!OrphanSweep.hasHashSuffix("fl-host", prefix: "fl-"))
        #expect(!OrphanSweep.hasHashSuffix("fl-0A1B2C3D", prefix: "fl-"))
        #expect(OrphanSweep.isOurRootHandle(TrafficControlOwnership.rootHandle(for: try! FaultID("x"))))
        #expect(!OrphanSweep.isOurRootHandle(0x0001_0000))
        #expect(!OrphanSweep.isOurRootHandle(0xFFFF_0000))
    }
}
