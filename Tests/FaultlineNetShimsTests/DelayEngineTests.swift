import Foundation
import Testing
@testable import FaultlineNetShims

@Suite("Packet-delay engine: iptables NFQUEUE + libnetfilter_queue, on the receiving side")
struct DelayEngineTests {
    @Test("the delay engine is available on this kernel")
    func available() {
        #expect(DelayEngineShim().availability() == .available)
    }

    @Test("50 ms delay: median added delay within ±2 ms; revert restores every table")
    func delay50() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let beforeB = try net.kernelState(net.bName)
        let tablesBefore = try NamespaceThread.run(in: .namespace(net.b)) { try NFTables.run("list tables\n") }
        let echo = try UDPEcho(in: net.b, address: net.addressB, port: 7500)
        defer { echo.close() }
        let client = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7500)
        defer { close(client) }
        let baseline = percentile(UDPEcho.roundTrips(client: client, to: net.addressB, port: 7500, count: 50, wait: 0.1), 0.5)

        let shim = DelayEngineShim()
        let id = net.faultID("d50")
        let spec = DelayEngineSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]),
                                   exemptions: [], delay: .milliseconds(50))
        let undo = try shim.apply(spec, for: id)
        let delayed = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7500, count: 200, spacing: 0.001, wait: 0.3)
        let statistics = shim.statistics(of: id)
        try shim.revert(undo)

        let added = percentile(delayed, 0.5) - baseline
        print("delay 50 ms: baseline RTT \(baseline) ms, median added \(added) ms, p99 RTT \(percentile(delayed, 0.99)) ms, \(delayed.count)/200 echoes, engine \(String(describing: statistics))")
        #expect(delayed.count >= 195)
        #expect(abs(added - 50) <= 2)
        expectSameState(beforeB, try net.kernelState(net.bName))
        #expect(try NamespaceThread.run(in: .namespace(net.b)) { try NFTables.run("list tables\n") } == tablesBefore)
        // Healed: back to the baseline.
        let after = percentile(UDPEcho.roundTrips(client: client, to: net.addressB, port: 7500, count: 20, wait: 0.1), 0.5)
        #expect(after < 5)
    }

    @Test("10 ms jitter widens the spread of round trips")
    func jitter() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let echo = try UDPEcho(in: net.b, address: net.addressB, port: 7501)
        defer { echo.close() }
        let client = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7501)
        defer { close(client) }
        let shim = DelayEngineShim()
        let match = InboundMatch(peers: [try IPNetwork(net.addressA)])
        let steady = try shim.apply(DelayEngineSpec(namespace: net.b, match: match, exemptions: [], delay: .milliseconds(20)),
                                    for: net.faultID("j0"))
        let steadyRTT = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7501, count: 150, spacing: 0.001, wait: 0.2)
        try shim.revert(steady)
        let jittery = try shim.apply(DelayEngineSpec(namespace: net.b, match: match, exemptions: [], delay: .milliseconds(20),
                                                     jitter: .milliseconds(10)), for: net.faultID("j10"))
        let jitterRTT = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7501, count: 150, spacing: 0.001, wait: 0.2)
        try shim.revert(jittery)
        let steadySpread = percentile(steadyRTT, 0.9) - percentile(steadyRTT, 0.1)
        let jitterSpread = percentile(jitterRTT, 0.9) - percentile(jitterRTT, 0.1)
        print("jitter: p10–p90 spread \(steadySpread) ms without, \(jitterSpread) ms with ±10 ms")
        #expect(steadySpread < 2)
        #expect(jitterSpread > 10)
        // Generous bounds: 20 ± 10 ms, with room for a loaded 2-core machine at the top.
        #expect(percentile(jitterRTT, 0.05) >= 9.5)
        #expect(percentile(jitterRTT, 0.95) <= 33)
    }

    @Test("a TCP transfer through a 50 ms delay completes")
    func tcpThroughDelay() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let shim = DelayEngineShim()
        let undo = try shim.apply(DelayEngineSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]),
                                                  exemptions: [], delay: .milliseconds(50)), for: net.faultID("tcp"))
        defer { try? shim.revert(undo) }
        let listener = try Traffic.tcpListener(in: net.b, address: net.addressB, port: 7600)
        defer { close(listener) }
        let started = Date()
        let client = try #require(try Traffic.tcpConnect(in: net.a, to: net.addressB, port: 7600, timeout: 3))
        defer { close(client) }
        let server = try #require(Traffic.accept(listener, timeout: 3))
        defer { close(server) }
        let size = 2_000_000
        let sender = Thread {
            let data = [UInt8](repeating: 1, count: size)
            var offset = 0
            while offset < size {
                let sent = data[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { break }
                offset += sent
            }
        }
        sender.start()
        let received = Traffic.read(server, count: size, timeout: 15)
        let elapsed = Date().timeIntervalSince(started)
        print("tcp through 50 ms delay: \(received) bytes in \(elapsed) s")
        #expect(received == size)
        // The handshake alone crosses the delay once.
        #expect(elapsed >= 0.05)
    }

    @Test("when the engine dies, --queue-bypass lets traffic flow undelayed; revert from the undo record in a fresh shim, twice")
    func engineDeath() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let before = try net.kernelState(net.bName)
        let echo = try UDPEcho(in: net.b, address: net.addressB, port: 7502)
        defer { echo.close() }
        let client = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7502)
        defer { close(client) }
        let shim = DelayEngineShim()
        let id = net.faultID("die")
        let undo = try shim.apply(DelayEngineSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]),
                                                  exemptions: [], delay: .milliseconds(30)), for: id)
        let delayed = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7502, count: 20, wait: 0.2)
        #expect(percentile(delayed, 0.5) >= 29)
        shim.killEngineForTest(id)
        let bypassed = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7502, count: 100, wait: 0.2)
        print("engine dead: \(bypassed.count)/100 echoes, median \(percentile(bypassed, 0.5)) ms")
        #expect(bypassed.count >= 95)
        #expect(percentile(bypassed, 0.5) < 5)
        // The rules are still there; a fresh shim reverts them from the decoded undo record.
        #expect(try net.kernelState(net.bName) != before)
        let decoded = try JSONDecoder().decode(DelayEngineUndo.self, from: JSONEncoder().encode(undo))
        try DelayEngineShim().revert(decoded)
        try DelayEngineShim().revert(decoded)
        expectSameState(before, try net.kernelState(net.bName))
    }

    @Test("the engine can also drop and duplicate")
    func lossAndDuplicate() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let udpA = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7503)
        let udpB = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7503)
        defer { close(udpA); close(udpB) }
        let shim = DelayEngineShim()
        let match = InboundMatch(peers: [try IPNetwork(net.addressA)], transport: .udp)
        let lossy = try shim.apply(DelayEngineSpec(namespace: net.b, match: match, exemptions: [], delay: .milliseconds(1),
                                                   lossPercent: 20), for: net.faultID("l"))
        let delivered = Traffic.udpDelivered(count: 5000, from: udpA, to: net.addressB, port: 7503, receiver: udpB)
        try shim.revert(lossy)
        let loss = 100 * Double(5000 - delivered) / 5000
        let dup = try shim.apply(DelayEngineSpec(namespace: net.b, match: match, exemptions: [], delay: .milliseconds(1),
                                                 duplicatePercent: 50), for: net.faultID("u"))
        let duplicated = Traffic.udpDelivered(count: 2000, from: udpA, to: net.addressB, port: 7503, receiver: udpB)
        try shim.revert(dup)
        print("engine loss 20 %: measured \(loss) %; duplicate 50 %: \(duplicated) of 2000 sent arrived")
        #expect(abs(loss - 20) <= 3)
        #expect(abs(Double(duplicated) / 2000 - 1.5) <= 0.05)
    }

    @Test("the management flow (TCP to the agent port) is never queued; the agent port as a source, or UDP, is")
    func exemption() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        let echo = try UDPEcho(in: net.b, address: net.addressB, port: 7504)
        defer { echo.close() }
        let client = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7505)
        defer { close(client) }
        let agentPort = try Traffic.tcpListener(in: net.b, address: net.addressB, port: 7504)
        let otherPort = try Traffic.tcpListener(in: net.b, address: net.addressB, port: 7506)
        defer { close(agentPort); close(otherPort) }
        let shim = DelayEngineShim()
        let undo = try shim.apply(DelayEngineSpec(namespace: net.b, match: InboundMatch(), exemptions: [
            ManagementExemption(address: try IPNetwork(net.addressA), port: 7504)], delay: .milliseconds(40)), for: net.faultID("ex"))
        defer { try? shim.revert(undo) }
        /// Milliseconds a TCP handshake takes: the SYN is what the engine would hold.
        func handshake(to port: UInt16, from sourcePort: UInt16? = nil) throws -> Double {
            let started = DelayEngine.now()
            let fd = try #require(try Traffic.tcpConnect(in: net.a, to: net.addressB, port: port, timeout: 1, sourcePort: sourcePort))
            let elapsed = Double(DelayEngine.now() - started) / 1e6
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(fd)
            return elapsed
        }
        let managed = try (0..<10).map { _ in try handshake(to: 7504) }
        let fromAgentPort = try handshake(to: 7506, from: 7504)
        print("delay engine 40 ms: management handshake p50 \(percentile(managed, 0.5)) ms; from source port 7504 \(fromAgentPort) ms")
        #expect(percentile(managed, 0.5) < 5)
        #expect(fromAgentPort >= 40, "a handshake from the agent port as source skipped the delay")
        let rtt = UDPEcho.roundTrips(client: client, to: net.addressB, port: 7504, count: 30, wait: 0.2)
        #expect(rtt.count == 30)
        #expect(percentile(rtt, 0.5) >= 40, "UDP to the agent's port is not the agent's API")
    }

    @Test("the host's own mangle rules survive apply and revert; only our jump and chain go")
    func hostRulesSurvive() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        try Subprocess.check(["/usr/sbin/ip", "netns", "exec", net.bName, "/usr/sbin/iptables", "-t", "mangle",
                              "-A", "PREROUTING", "-p", "tcp", "--dport", "9", "-j", "ACCEPT"])
        let before = try net.kernelState(net.bName)
        let shim = DelayEngineShim()
        let undo = try shim.apply(DelayEngineSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork(net.addressA)]),
                                                  exemptions: [], delay: .milliseconds(5)), for: net.faultID("host"))
        let during = try net.kernelState(net.bName)
        #expect(during.contains("-A PREROUTING -j \(undo.chain)"))
        #expect(during.contains("--dport 9 -j ACCEPT"))
        try shim.revert(undo)
        try DelayEngineShim().revert(undo)
        expectSameState(before, try net.kernelState(net.bName))
    }

    @Test("the cleanup batch deletes only our objects, or iptables-nft's table when nothing else is left")
    func cleanupBatch() throws {
        let undo = try DelayEngineShim().undoRecord(for: FaultID("x"), spec: DelayEngineSpec(match: InboundMatch(), exemptions: [], delay: .milliseconds(1)))
        let listing = """
            {"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "ip", "name": "mangle", "handle": 1}},
            {"chain": {"family": "ip", "table": "mangle", "name": "PREROUTING", "handle": 1, "type": "filter", "hook": "prerouting", "prio": -150, "policy": "accept"}},
            {"chain": {"family": "ip", "table": "mangle", "name": "\(undo.chain)", "handle": 2}},
            {"rule": {"family": "ip", "table": "mangle", "chain": "PREROUTING", "handle": 4, "expr": [{"counter": {"packets": 0, "bytes": 0}}, {"jump": {"target": "\(undo.chain)"}}]}},
            {"rule": {"family": "ip", "table": "mangle", "chain": "\(undo.chain)", "handle": 5, "expr": [{"return": null}]}}]}
            """
        let ours = try MangleTableCleanup.parse(listing, chain: undo.chain, hookChain: "PREROUTING")
        #expect(ours == .init(ourJumpHandles: [4], ourChainExists: true, foreignObjects: 0))
        #expect(MangleTableCleanup.batch(ours, undo: undo) == "delete table ip mangle\n")
        var shared = ours
        shared.foreignObjects = 1
        #expect(MangleTableCleanup.batch(shared, undo: undo) ==
                "delete rule ip mangle PREROUTING handle 4\nflush chain ip mangle \(undo.chain)\ndelete chain ip mangle \(undo.chain)\n")
        #expect(MangleTableCleanup.batch(.init(), undo: undo) == nil)
    }

    @Test("the sampler: seeded, jitter bounded, loss rate as asked")
    func sampler() {
        var one = DelaySampler(delay: .milliseconds(10), jitter: .milliseconds(2), correlationPercent: 25,
                               lossPercent: 10, duplicatePercent: 0, seed: 42)
        var two = one
        var drops = 0
        for _ in 0..<10_000 {
            let decision = one.decide()
            #expect(decision == two.decide())
            switch decision {
            case .drop: drops += 1
            case let .hold(nanoseconds, duplicate):
                #expect(nanoseconds >= 8_000_000 && nanoseconds <= 12_000_000)
                #expect(!duplicate)
            }
        }
        #expect(abs(drops - 1000) < 150)
        var queue = ReleaseQueue<Int>()
        for (value, release) in [(3, 30), (1, 10), (2, 20), (4, 40)] { queue.push(value, release: UInt64(release)) }
        #expect(queue.popDue(now: 5) == nil)
        #expect(queue.popDue(now: 25) == 1)
        #expect(queue.popDue(now: 25) == 2)
        #expect(queue.popDue(now: 25) == nil)
        #expect(queue.popFirst() == 3)
    }
}
