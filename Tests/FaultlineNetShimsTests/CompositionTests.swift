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
