import Foundation
import Testing
@testable import FaultlineNetShims

/// Whether this kernel was built with netem (CONFIG_NET_SCH_NETEM=y); read independently of
/// the shim's own probe so the probe's answer is checked, not trusted.
let kernelHasNetem: Bool = {
    guard let config = try? Subprocess.check(["/bin/sh", "-c", "zcat /proc/config.gz"]) else { return true }
    return config.contains("CONFIG_NET_SCH_NETEM=y")
}()

@Suite("Traffic control through libnl-route-3: tbf, htb + u32, ingress via ifb, netem")
struct TrafficControlTests {
    @Test("bandwidth shaping is available on this kernel")
    func available() {
        #expect(BandwidthShim().availability() == .available)
    }

    @Test("netem detection matches the kernel's configuration and names what is missing")
    func netemDetection() {
        let availability = NetemShim().availability()
        print("netem availability: \(availability)")
        if kernelHasNetem {
            #expect(availability == .available)
        } else {
            guard case let .unavailable(reason) = availability else {
                Issue.record("netem reported available on a kernel without CONFIG_NET_SCH_NETEM")
                return
            }
            #expect(reason.contains("sch_netem"))
            #expect(reason.contains("rtnl_qdisc_add"))
        }
    }

    @Test("netem delay 50 ms adds 50 ms (needs sch_netem; this kernel lacks it, so this runs in the QEMU guests)",
          .enabled(if: NetemShim().availability().isAvailable, "kernel has no sch_netem: see netemDetection"))
    func netemDelay() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.aName)
        let echo = try UDPEcho(in: net.b, address: net.addressB, port: 7700)
        defer { echo.close() }
        let client = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7700)
        defer { close(client) }
        let shim = NetemShim()
        let undo = try shim.apply(NetemSpec(namespace: net.a, device: net.vethA, delay: .milliseconds(50)), for: net.faultID("netem"))
        let rtt = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7700, count: 100, spacing: 0.001, wait: 0.3)
        try shim.revert(undo)
        try shim.revert(undo)
        #expect(abs(percentile(rtt, 0.5) - 50) <= 2)
        expectSameState(before, try net.kernelState(net.aName))
    }

    @Test("egress netem corrupting every packet spares the agent's answers to its controller (needs sch_netem: runs in the QEMU guests)",
          .enabled(if: NetemShim().availability().isAvailable, "kernel has no sch_netem: see netemDetection"))
    func netemEgressExemption() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.aName)
        // a is the agent (port 7433), b its controller.
        let agentPort = try Traffic.tcpListener(in: net.a, address: net.addressA, port: 7433)
        let otherPort = try Traffic.tcpListener(in: net.a, address: net.addressA, port: 7434)
        defer { close(agentPort); close(otherPort) }
        let shim = NetemShim()
        let undo = try shim.apply(NetemSpec(namespace: net.a, device: net.vethA, exemptions: [
            ManagementExemption(address: try IPNetwork(net.addressB), port: 7433)], corruptPercent: 100), for: net.faultID("corrupt"))
        let managed = try Traffic.tcpConnect(in: net.b, to: net.addressA, port: 7433, timeout: 1)
        let other = try Traffic.tcpConnect(in: net.b, to: net.addressA, port: 7434, timeout: 1)
        managed.map { _ = close($0) }
        other.map { _ = close($0) }
        try shim.revert(undo)
        #expect(managed != nil, "the agent's SYN-ACK from port 7433 was corrupted")
        #expect(other == nil, "a SYN-ACK from another port escaped 100 % corruption")
        expectSameState(before, try net.kernelState(net.aName))
    }

    @Test("egress tbf at 50 mbit/s: TCP within ±10 %; revert restores qdiscs exactly")
    func egressTBF() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.aName)
        let shim = BandwidthShim()
        let undo = try shim.apply(BandwidthSpec(namespace: net.a, device: net.vethA, direction: .egress,
                                                bitsPerSecond: 50_000_000), for: net.faultID("tbf"))
        let measured = try Traffic.tcpThroughput(from: net.a, to: net.b, address: net.addressB, port: 7800, seconds: 1.2)
        try BandwidthShim().revert(undo)
        try BandwidthShim().revert(undo)
        print("egress tbf 50 mbit/s: measured \(measured) Mbit/s")
        #expect(abs(measured - 50) <= 5)
        expectSameState(before, try net.kernelState(net.aName))
    }

    @Test("ingress via our own ifb at 50 mbit/s: TCP within ±10 %; revert deletes ingress qdisc and ifb")
    func ingressIFB() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.bName)
        let shim = BandwidthShim()
        let undo = try shim.apply(BandwidthSpec(namespace: net.b, device: net.vethB, direction: .ingress,
                                                bitsPerSecond: 50_000_000), for: net.faultID("ifb"))
        #expect(try net.devices(net.bName).contains(undo.ifb!))
        let measured = try Traffic.tcpThroughput(from: net.a, to: net.b, address: net.addressB, port: 7801, seconds: 1.2)
        let decoded = try JSONDecoder().decode(TrafficControlUndo.self, from: JSONEncoder().encode(undo))
        try BandwidthShim().revert(decoded)
        try BandwidthShim().revert(decoded)
        print("ingress ifb 50 mbit/s: measured \(measured) Mbit/s")
        #expect(abs(measured - 50) <= 5)
        expectSameState(before, try net.kernelState(net.bName))
    }

    @Test("htb + u32 limits only the chosen destination")
    func perDestination() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        try net.ip(["-n", net.bName, "addr", "add", "10.250.1.3/24", "dev", net.vethB])
        let before = try net.kernelState(net.aName)
        let shim = BandwidthShim()
        let undo = try shim.apply(BandwidthSpec(namespace: net.a, device: net.vethA, direction: .egress,
                                                bitsPerSecond: 20_000_000, peers: [try IPNetwork(net.addressB)]),
                                  for: net.faultID("htb"))
        let limited = try Traffic.tcpThroughput(from: net.a, to: net.b, address: net.addressB, port: 7802, seconds: 1.0)
        let free = try Traffic.tcpThroughput(from: net.a, to: net.b, address: "10.250.1.3", port: 7803, seconds: 0.5)
        try shim.revert(undo)
        print("htb: to limited peer \(limited) Mbit/s, to other address \(free) Mbit/s")
        #expect(abs(limited - 20) <= 2)
        #expect(free > 100)
        expectSameState(before, try net.kernelState(net.aName))
    }

    @Test("a device whose root or ingress qdisc is the host's own is refused and left alone")
    func refuseForeign() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        try Subprocess.check(["/usr/sbin/tc", "-n", net.aName, "qdisc", "add", "dev", net.vethA, "root", "handle", "1:",
                              "tbf", "rate", "1gbit", "burst", "64k", "latency", "50ms"])
        try Subprocess.check(["/usr/sbin/tc", "-n", net.aName, "qdisc", "add", "dev", net.vethA, "ingress"])
        let before = try net.kernelState(net.aName)
        let shim = BandwidthShim()
        #expect(throws: NetShimError.self) {
            try shim.apply(BandwidthSpec(namespace: net.a, device: net.vethA, direction: .egress, bitsPerSecond: 1_000_000),
                           for: net.faultID("r1"))
        }
        #expect(throws: NetShimError.self) {
            try shim.apply(BandwidthSpec(namespace: net.a, device: net.vethA, direction: .ingress, bitsPerSecond: 1_000_000),
                           for: net.faultID("r2"))
        }
        // Reverting undo records of faults that never applied touches nothing of the host's.
        try shim.revert(shim.undoRecord(for: net.faultID("r1"), spec: BandwidthSpec(namespace: net.a, device: net.vethA, direction: .egress, bitsPerSecond: 1_000_000)))
        try shim.revert(shim.undoRecord(for: net.faultID("r2"), spec: BandwidthSpec(namespace: net.a, device: net.vethA, direction: .ingress, bitsPerSecond: 1_000_000)))
        expectSameState(before, try net.kernelState(net.aName))
        let decision = TrafficControlOwnership.decideRoot(
            device: "eth0", qdiscs: [.init(ifindex: 2, parent: RouteNetlink.rootParent, handle: 0x0001_0000, kind: "tbf")],
            ourHandle: 0xF001_0000)
        guard case let .refuse(reason) = decision else { Issue.record("expected a refusal"); return }
        #expect(reason.contains("tbf 1:"))
    }
}
