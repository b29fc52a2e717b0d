import Foundation
import Testing
@testable import FaultlineNetShims

@Suite("Composition of two faults on one host")
struct CompositionTests {
    let match = InboundMatch(peers: [try! IPNetwork("10.250.1.1")])

    @Test("latency and loss compose; two root qdiscs or two engines in one namespace are refused with the reason")
    func rules() throws {
        let engine = NetFaultSpec.delayEngine(DelayEngineSpec(namespace: .named("x"), match: match, exemptions: [], delay: .milliseconds(50)))
        let loss = NetFaultSpec.loss(LossSpec(namespace: .named("x"), match: match, exemptions: [], percent: 10))
        let partition = NetFaultSpec.partition(PartitionSpec(namespace: .named("x"), match: match, exemptions: []))
        let netem = NetFaultSpec.netem(NetemSpec(namespace: .named("x"), device: "eth0", delay: .milliseconds(10)))
        let egress = NetFaultSpec.bandwidth(BandwidthSpec(namespace: .named("x"), device: "eth0", direction: .egress, bitsPerSecond: 1_000_000))
        let ingress = NetFaultSpec.bandwidth(BandwidthSpec(namespace: .named("x"), device: "eth0", direction: .ingress, bitsPerSecond: 1_000_000))
        let otherDevice = NetFaultSpec.netem(NetemSpec(namespace: .named("x"), device: "eth1", delay: .milliseconds(10)))
        let otherNamespace = NetFaultSpec.delayEngine(DelayEngineSpec(namespace: .path("/run/netns/y"), match: match, exemptions: [], delay: .milliseconds(5)))

        #expect(composition(engine, loss) == .composes)
        #expect(composition(loss, partition) == .composes)
        #expect(composition(netem, loss) == .composes)
        #expect(composition(netem, ingress) == .composes)
        #expect(composition(netem, otherDevice) == .composes)
        #expect(composition(engine, otherNamespace) == .composes)
        #expect(composition(engine, netem) == .composes)

        guard case let .refused(rootReason) = composition(netem, egress) else { Issue.record("netem + tbf on one device must be refused"); return }
        #expect(rootReason.contains("root qdisc"))
        guard case let .refused(engineReason) = composition(engine, engine) else { Issue.record("two engines must be refused"); return }
        #expect(engineReason.contains("NF_ACCEPT"))
        guard case .refused = composition(ingress, ingress) else { Issue.record("two ingress faults must be refused"); return }
        // .named("x") and its path are the same namespace.
        let samePath = NetFaultSpec.netem(NetemSpec(namespace: .path("/run/netns/x"), device: "eth0"))
        guard case .refused = composition(samePath, egress) else { Issue.record("same namespace by path must conflict"); return }
    }

    @Test("netem on arriving packets claims the ingress qdisc: it composes with egress netem, not with ingress bandwidth")
    func ingressNetem() throws {
        let exemption = ManagementExemption(address: try IPNetwork("10.250.0.1"), port: 7433)
        let arriving = NetFaultSpec.netem(NetemSpec(namespace: .named("x"), device: "eth0", direction: .ingress,
                                                    peers: [try IPNetwork("10.250.1.1")], exemptions: [exemption], delay: .milliseconds(40)))
        let leaving = NetFaultSpec.netem(NetemSpec(namespace: .named("x"), device: "eth0", duplicatePercent: 10))
        let ingressBandwidth = NetFaultSpec.bandwidth(BandwidthSpec(namespace: .named("x"), device: "eth0", direction: .ingress, bitsPerSecond: 1_000_000))
        #expect(composition(arriving, leaving) == .composes)
        guard case let .refused(reason) = composition(arriving, ingressBandwidth) else { Issue.record("two ingress faults on eth0 must be refused"); return }
        #expect(reason.contains("ingress qdisc"))
    }

    @Test("netem specs: peers only on arriving packets, IPv4 only; the undo record names our ifb and no root qdisc")
    func netemSpecChecks() throws {
        let id = try FaultID("netem-spec")
        let peer = try IPNetwork("10.250.1.1")
        #expect(throws: NetShimError.self) { try NetemShim().undoRecord(for: id, spec: NetemSpec(device: "eth0", peers: [peer], delay: .milliseconds(5))) }
        #expect(throws: NetShimError.self) {
            try NetemShim().undoRecord(for: id, spec: NetemSpec(device: "eth0", direction: .ingress, peers: [try IPNetwork("fd00::1")], delay: .milliseconds(5)))
        }
        let undo = try NetemShim().undoRecord(for: id, spec: NetemSpec(device: "eth0", direction: .ingress, peers: [peer], delay: .milliseconds(5)))
        #expect(undo.rootHandle == nil && undo.ingressRedirect && undo.ifb?.hasPrefix("fl-") == true)
    }

    @Test("netem on arriving packets is unavailable wherever netem is, with netem's reason")
    func ingressNetemAvailability() {
        let netem = NetemShim().availability(), ingress = NetemShim().ingressAvailability()
        print("netem: \(netem); on arriving packets: \(ingress)")
        if case .unavailable(let reason) = netem {
            guard case .unavailable(let ingressReason) = ingress else { Issue.record("ingress netem available without netem"); return }
            #expect(ingressReason == reason)
        }
    }

    @Test("latency (delay engine) and loss (nftables) live together on one host, with real traffic")
    func latencyPlusLoss() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.bName)
        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7900)
        let udpB = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7900)
        defer { close(udpA); close(udpB) }
        let engine = DelayEngineShim()
        let delayUndo = try engine.apply(DelayEngineSpec(namespace: net.b, match: match, exemptions: [], delay: .milliseconds(5)),
                                         for: net.faultID("lat"))
        let lossUndo = try LossShim().apply(LossSpec(namespace: net.b, match: match, exemptions: [], percent: 30), for: net.faultID("loss"))
        let delivered = Traffic.udpDelivered(count: 5000, from: udpA, to: net.addressB, port: 7900, receiver: udpB)
        try LossShim().revert(lossUndo)
        try engine.revert(delayUndo)
        let loss = 100 * Double(5000 - delivered) / 5000
        print("delay engine + nftables loss 30 %: measured loss \(loss) %")
        #expect(abs(loss - 30) <= 3)
        expectSameState(before, try net.kernelState(net.bName))
    }
}
