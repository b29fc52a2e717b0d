import Foundation
import Testing
@testable import FaultlineNetShims

@Suite("Partition and loss through libnftables, with real traffic between namespaces")
struct PartitionTests {
    let partition = PartitionShim()

    @Test("partition is available on this kernel")
    func available() {
        #expect(partition.availability() == .available)
        #expect(LossShim().availability() == .available)
    }

    @Test("two-way partition blocks TCP and UDP both ways; an established connection resumes after heal")
    func twoWay() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let beforeA = try net.kernelState(net.aName)
        let beforeB = try net.kernelState(net.bName)

        // An established TCP connection a → b, made before the partition.
        let listener = try Traffic.tcpListener(in: net.b, address: net.addressB, port: 7100)
        defer { close(listener) }
        let client = try #require(try Traffic.tcpConnect(in: net.a, to: net.addressB, port: 7100, timeout: 2))
        defer { close(client) }
        let server = try #require(Traffic.accept(listener, timeout: 2))
        defer { close(server) }

        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7200)
        let udpB = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7200)
        defer { close(udpA); close(udpB) }
        #expect(Traffic.udpDelivered(count: 50, from: udpA, to: net.addressB, port: 7200, receiver: udpB) == 50)

        let onA = PartitionSpec(namespace: net.a, match: InboundMatch(peers: [try IPNetwork(net.addressB)]), exemptions: [])
        let onB = PartitionSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]), exemptions: [])
        let undoA = try partition.apply(onA, for: net.faultID("pa"))
        let undoB = try partition.apply(onB, for: net.faultID("pb"))

        #expect(Traffic.udpDelivered(count: 50, from: udpA, to: net.addressB, port: 7200, receiver: udpB) == 0)
        #expect(Traffic.udpDelivered(count: 50, from: udpB, to: net.addressA, port: 7200, receiver: udpA) == 0)
        #expect(try Traffic.tcpConnect(in: net.a, to: net.addressB, port: 7100, timeout: 0.4) == nil)
        #expect(try Traffic.tcpConnect(in: net.b, to: net.addressA, port: 7101, timeout: 0.4) == nil)

        // Data written on the established connection during the partition does not arrive...
        let message = [UInt8](repeating: 7, count: 1000)
        #expect(send(client, message, message.count, 0) == 1000)
        #expect(Traffic.read(server, count: 1000, timeout: 0.3) == 0)

        try partition.revert(undoA)
        try partition.revert(undoB)
        // ...and arrives once healed (TCP retransmits).
        #expect(Traffic.read(server, count: 1000, timeout: 3) == 1000)
        #expect(Traffic.udpDelivered(count: 50, from: udpB, to: net.addressA, port: 7200, receiver: udpA) == 50)

        expectSameState(beforeA, try net.kernelState(net.aName))
        expectSameState(beforeB, try net.kernelState(net.bName))
    }

    @Test("one-way partition: b no longer hears a, a still hears b")
    func oneWay() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7200)
        let udpB = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7200)
        defer { close(udpA); close(udpB) }
        let spec = PartitionSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork("10.250.1.0/24")], transport: .udp), exemptions: [])
        let undo = try partition.apply(spec, for: net.faultID("one"))
        defer { try? partition.revert(undo) }
        #expect(Traffic.udpDelivered(count: 100, from: udpA, to: net.addressB, port: 7200, receiver: udpB) == 0)
        #expect(Traffic.udpDelivered(count: 100, from: udpB, to: net.addressA, port: 7200, receiver: udpA) == 100)
    }

    @Test("a full partition never drops the management flow, and exempts nothing else: not the agent port as a source, not UDP")
    func exemption() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.bName)
        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7300)
        // The controller's host sending *from* the agent's port: not management traffic.
        let udpFromAgentPort = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7301)
        let agentPort = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7301)
        let otherPort = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7302)
        defer { close(udpA); close(udpFromAgentPort); close(agentPort); close(otherPort) }
        let listener = try Traffic.tcpListener(in: net.b, address: net.addressB, port: 7301)
        let otherListener = try Traffic.tcpListener(in: net.b, address: net.addressB, port: 7302)
        defer { close(listener); close(otherListener) }

        let spec = PartitionSpec(
            namespace: net.b, match: InboundMatch(),
            exemptions: [ManagementExemption(address: try IPNetwork(net.addressA), port: 7301)])
        let undo = try partition.apply(spec, for: net.faultID("full"))
        let managed = try Traffic.tcpConnect(in: net.a, to: net.addressB, port: 7301, timeout: 1)
        #expect(managed != nil, "the controller calling the agent's port must pass")
        managed.map { _ = close($0) }
        #expect(Traffic.udpDelivered(count: 100, from: udpA, to: net.addressB, port: 7302, receiver: otherPort) == 0)
        let fromAgentPort = try Traffic.tcpConnect(in: net.a, to: net.addressB, port: 7302, timeout: 1, sourcePort: 7301)
        #expect(fromAgentPort == nil, "a TCP connection from source port 7301 to another port passed the partition")
        fromAgentPort.map { _ = close($0) }
        #expect(Traffic.udpDelivered(count: 100, from: udpFromAgentPort, to: net.addressB, port: 7302, receiver: otherPort) == 0,
                "datagrams from source port 7301 passed the partition")
        #expect(Traffic.udpDelivered(count: 100, from: udpA, to: net.addressB, port: 7301, receiver: agentPort) == 0,
                "UDP to the agent's port is not the agent's API (HTTPS over TCP)")

        // Revert from the undo record alone, in a fresh shim (as after kill -9), twice.
        let decoded = try JSONDecoder().decode(NFTablesUndo.self, from: JSONEncoder().encode(undo))
        try PartitionShim().revert(decoded)
        try PartitionShim().revert(decoded)
        expectSameState(before, try net.kernelState(net.bName))
        #expect(Traffic.udpDelivered(count: 100, from: udpA, to: net.addressB, port: 7302, receiver: otherPort) == 100)
    }

    @Test("reverting in a namespace that no longer exists is success")
    func revertGoneNamespace() throws {
        let undo = try partition.undoRecord(
            for: FaultID("fl-gone"),
            spec: PartitionSpec(namespace: .named("fl-does-not-exist-\(UInt32.random(in: 0...UInt32.max))"),
                                match: InboundMatch(), exemptions: []))
        try partition.revert(undo)
    }

    @Test("loss 10 % and 30 % measured within ±3 points over 5000 datagrams", arguments: [10.0, 30.0])
    func loss(percent: Double) throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.bName)
        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7400)
        let udpB = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7400)
        defer { close(udpA); close(udpB) }
        let spec = LossSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]),
                            exemptions: [], percent: percent)
        let undo = try LossShim().apply(spec, for: net.faultID("loss"))
        let count = 5000
        let delivered = Traffic.udpDelivered(count: count, from: udpA, to: net.addressB, port: 7400, receiver: udpB)
        try LossShim().revert(undo)
        let measured = 100 * Double(count - delivered) / Double(count)
        print("loss \(percent) %: measured \(measured) % over \(count) datagrams")
        #expect(abs(measured - percent) <= 3)
        expectSameState(before, try net.kernelState(net.bName))
    }

    @Test("the batch for a partition is what the documentation says")
    func batchText() throws {
        let spec = PartitionSpec(
            match: InboundMatch(peers: [try IPNetwork("10.0.0.7/24"), try IPNetwork("fd00::1")], transport: .tcp, ports: [2379]),
            exemptions: [ManagementExemption(address: try IPNetwork("192.0.2.10"), port: 9000)])
        let batch = try partition.batch(for: FaultID("f1"), spec: spec)
        #expect(batch.contains("table inet fl_f1 {"))
        #expect(batch.contains("ip saddr 192.0.2.10 tcp dport 9000 accept"))
        #expect(!batch.contains("sport 9000"), "the agent port as a source is not the management flow")
        #expect(batch.contains("ip saddr { 10.0.0.0/24 } meta l4proto tcp th dport { 2379 } drop"))
        #expect(batch.contains("ip6 saddr { fd00::1 } meta l4proto tcp th sport { 2379 } drop"))
        let exemptAt = try #require(batch.range(of: "dport 9000 accept"))
        let dropAt = try #require(batch.range(of: "drop"))
        #expect(exemptAt.lowerBound < dropAt.lowerBound)
        #expect(LossSpec.self == LossSpec.self)
        #expect(NFTablesRuleset.lossSample(percent: 12.34) == "numgen random mod 10000 < 1234")
        #expect(NFTablesRuleset.lossStatement(percent: 99.99) == "numgen random mod 10000 < 9999 drop")
        #expect(NFTablesRuleset.lossStatement(percent: 99.996) == "drop")
        #expect(NFTablesRuleset.lossStatement(percent: 100) == "drop")
    }

    @Test("loss at 100 % is a plain drop that nft accepts, and drops every datagram")
    func lossEverything() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.bName)
        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7410)
        let udpB = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7410)
        defer { close(udpA); close(udpB) }
        let spec = LossSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]),
                            exemptions: [], percent: 100)
        #expect(!(try LossShim().batch(for: net.faultID("all"), spec: spec)).contains("numgen"))
        let undo = try LossShim().apply(spec, for: net.faultID("all"))
        let delivered = Traffic.udpDelivered(count: 1000, from: udpA, to: net.addressB, port: 7410, receiver: udpB)
        try LossShim().revert(undo)
        #expect(delivered == 0, "\(delivered) of 1000 datagrams arrived through 100 % loss")
        #expect(Traffic.udpDelivered(count: 100, from: udpA, to: net.addressB, port: 7410, receiver: udpB) == 100)
        expectSameState(before, try net.kernelState(net.bName))
    }

    @Test("a batch nft refuses fails with libnftables' own message, on one line, naming the rule")
    func nftErrorText() throws {
        let batch = NFTablesRuleset.batch(table: "fl_invalid", match: InboundMatch(), exemptions: [],
                                          dropStatement: "numgen random mod 10000 < 10000 drop", replacing: false)
        do {
            try NamespaceThread.run(in: .scratch) { _ = try NFTables.run(batch) }
            Issue.record("nft accepted a value outside numgen's range")
        } catch let NetShimError.library(call, message) {
            print("nft error: \(message)")
            #expect(call == "nft_run_cmd_from_buffer")
            #expect(message.contains("Error: Value 10000 exceeds valid range 0-9999"), "\(message)")
            #expect(message.contains("(in: numgen random mod 10000 < 10000 drop)"), "\(message)")
            #expect(!message.contains("\n") && !message.contains("^^^"), "\(message)")
        }
    }

    @Test("bad specs are refused before anything is touched")
    func invalid() throws {
        #expect(throws: NetShimError.self) { try IPNetwork("10.0.0.300") }
        #expect(throws: NetShimError.self) { try FaultID("bad id") }
        #expect(throws: NetShimError.self) {
            try LossShim().undoRecord(for: FaultID("x"), spec: LossSpec(match: InboundMatch(), exemptions: [], percent: 0))
        }
        #expect(throws: NetShimError.self) {
            try PartitionShim().undoRecord(for: FaultID("x"), spec: PartitionSpec(match: InboundMatch(transport: .icmp, ports: [80]), exemptions: []))
        }
    }
}
