import FaultlineCore
import FaultlineNetShims
import Testing
@testable import FaultlineAgent

/// Which mechanism carries a network fault on a host with netem (a guest, a distribution
/// kernel) and on one without (this machine): pure, no kernel involved.
struct NetworkFaultMappingTests {
    let exemptions = [ManagementExemption(address: try! IPNetwork("10.77.0.1/32"), port: 7433)]
    let peers = NetworkFilter(peers: [.cidr("10.77.0.102/32")])

    func mapping(_ mechanism: NetworkFaultMapping.LatencyMechanism, device: String? = "eth0") -> NetworkFaultMapping {
        NetworkFaultMapping(namespace: nil, exemptions: exemptions, defaultDevice: device, latencyMechanism: mechanism)
    }

    @Test func latencyOnANetemHostIsNetemOnArrivingPacketsByPeerWithTheManagementChannelExempt() throws {
        let fault = Fault.latency(Latency(delay: .milliseconds(40), jitter: .milliseconds(5), distribution: .normal, filter: peers))
        guard case .netem(let spec) = try mapping(.netem).spec(for: fault) else { Issue.record("not netem"); return }
        #expect(spec.direction == .ingress && spec.device == "eth0")
        #expect(spec.peers == [try IPNetwork("10.77.0.102/32")])
        #expect(spec.exemptions == exemptions)
        #expect(spec.delay == .milliseconds(40) && spec.jitter == .milliseconds(5) && spec.distribution == .normal)
    }

    @Test func latencyWithoutNetemStaysOnTheDelayEngine() throws {
        let fault = Fault.latency(Latency(delay: .milliseconds(40), filter: peers))
        guard case .delayEngine(let spec) = try mapping(.delayEngine).spec(for: fault) else { Issue.record("not the engine"); return }
        #expect(spec.delay == .milliseconds(40) && spec.exemptions == exemptions)
    }

    @Test func netemLatencyRefusesWhatItCannotMatchWithAReason() {
        let ports = Fault.latency(Latency(delay: .milliseconds(40), filter: NetworkFilter(peers: [.cidr("10.77.0.102/32")], ports: [PortRange(2380)])))
        #expect(reason(mapping(.netem), ports)?.contains("peer address only") == true)
        let outbound = Fault.latency(Latency(delay: .milliseconds(40), filter: NetworkFilter(direction: .outbound)))
        #expect(reason(mapping(.netem), outbound)?.contains("inbound") == true)
        let noDevice = Fault.latency(Latency(delay: .milliseconds(40), filter: peers))
        #expect(reason(mapping(.netem, device: nil), noDevice)?.contains("device") == true)
    }

    @Test func correlatedLossNeedsNetemPlainLossIsNFTables() throws {
        let correlated = Fault.loss(Loss(percent: Percent(points: 30), correlation: Percent(points: 25), filter: peers))
        guard case .netem(let spec) = try mapping(.netem).spec(for: correlated) else { Issue.record("not netem"); return }
        #expect(spec.lossPercent == 30 && spec.lossCorrelationPercent == 25 && spec.direction == .ingress)
        #expect(reason(mapping(.delayEngine), correlated)?.contains("Gilbert") == true)
        let plain = Fault.loss(Loss(percent: Percent(points: 30), filter: peers))
        guard case .loss = try mapping(.netem).spec(for: plain) else { Issue.record("plain loss must stay on nftables"); return }
    }

    func reason(_ mapping: NetworkFaultMapping, _ fault: Fault) -> String? {
        do { _ = try mapping.spec(for: fault); return nil } catch { return error.description }
    }
}
