import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// The agent as users run it: a real process, mutual TLS, faults in a real kernel, in a
/// network namespace each test makes for itself.
@Suite("faultline-agent process", .serialized)
struct AgentProcessTests {
    /// A full partition of the host: every inbound packet dropped except the management channel.
    static let fullPartition = Fault.partition(Partition(topology: .inbound))

    @Test("kill -9 with a partition applied: the restarted agent reverts it and records why")
    func crashRecovery() async throws {
        let agent = try AgentUnderTest(tag: "ac")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        _ = try await client.apply(id: "crash-1", fault: Self.fullPartition, lease: .seconds(60))
        #expect(try agent.host.nftTables().contains("fl_crash-1"))

        agent.crash()
        // Nothing reverts a crashed agent's fault but the next agent: it is still there.
        #expect(try agent.host.nftTables().contains("fl_crash-1"))

        try await agent.restart()
        let tables = try agent.host.nftTables()
        #expect(!tables.contains("fl_"), "restart left \(tables)")
        let ledger = try String(contentsOfFile: agent.ledgerPath, encoding: .utf8)
        #expect(ledger.contains("crash-1") && ledger.contains("recovery"), "ledger: \(ledger)")
        #expect(agent.log.contains("revert id=crash-1 kind=partition reason=recovery result=reverted"))
        #expect(try await client.faults().isEmpty)
    }

    @Test("a lease that is not renewed is reverted within lease + 1 s; a renewed one is not")
    func leaseExpiry() async throws {
        let agent = try AgentUnderTest(tag: "al")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        let applied = Date()
        _ = try await client.apply(id: "lapse", fault: Self.fullPartition, lease: .seconds(1))
        _ = try await client.apply(id: "kept", fault: .loss(Loss(percent: Percent(points: 1))), lease: .seconds(1))
        var gone: Double?
        while Date().timeIntervalSince(applied) < 4 {
            _ = try await client.renew(ids: ["kept"])
            if try !agent.host.nftTables().contains("fl_lapse") { gone = Date().timeIntervalSince(applied); break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = try #require(gone, "the partition was still applied 4 s after a 1 s lease")
        #expect(elapsed >= 0.9 && elapsed <= 2.0, "reverted after \(elapsed) s for a 1 s lease")
        #expect(try agent.host.nftTables().contains("fl_kept"), "the renewed fault must stay")
        #expect(try await client.faults().map(\.id) == ["kept"])
        #expect(await agent.logEventually(contains: "revert id=lapse kind=partition reason=lease-expired result=reverted"))
    }

    @Test("mutual TLS: no certificate or one from another CA is refused; the CA's controller is served")
    func mutualTLS() async throws {
        let agent = try AgentUnderTest(tag: "at")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        for credentials in [TestPKI.Credentials.none, .stranger] {
            let client = try agent.client(credentials)
            defer { client.close() }
            await #expect(throws: AgentCallError.self, "\(credentials) must be refused") {
                _ = try await client.apply(id: "intruder", fault: Self.fullPartition, lease: .seconds(5))
            }
        }
        let controller = try agent.client()
        defer { controller.close() }
        #expect(try await controller.health().status == "ok")
        #expect(try await controller.faults().isEmpty, "a refused caller must not have applied anything")
        #expect(try !agent.host.nftTables().contains("fl_"))
        #expect(agent.log.contains("caller=test-controller action=GET /v1/health result=200"), "\(agent.log)")
    }

    @Test("the management channel answers while the host is fully partitioned; other traffic does not")
    func managementChannel() async throws {
        let agent = try AgentUnderTest(tag: "am")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let listener = try TCPProbe.listen(in: agent.host.name, address: agent.host.hostAddress, port: 8080)
        defer { close(listener) }
        #expect(TCPProbe.connects(to: agent.host.hostAddress, port: 8080, timeout: 1), "baseline connect failed")

        let client = try agent.client()
        defer { client.close() }
        _ = try await client.apply(id: "full", fault: Self.fullPartition, lease: .seconds(30))
        #expect(!TCPProbe.connects(to: agent.host.hostAddress, port: 8080, timeout: 1), "the partition let traffic through")
        // New connections, not only the kept-alive one, reach the agent.
        let fresh = try agent.client()
        defer { fresh.close() }
        #expect(try await fresh.health().faults == 1)
        #expect(try await fresh.renew(ids: ["full"]).renewed == ["full"])
        #expect(try await fresh.revert(id: "full"))
        #expect(TCPProbe.connects(to: agent.host.hostAddress, port: 8080, timeout: 1), "traffic not restored after revert")
    }

    @Test("a fault that cuts the controller off is detected by the agent and reverted by itself")
    func managementChannelCheck() async throws {
        // The agent believes its controller is elsewhere, so nothing exempts the test's
        // packets: a full partition drops the acknowledgements of the agent's own answer.
        let agent = try AgentUnderTest(tag: "ak", controllers: "10.255.255.1/32")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client(timeout: 1)
        defer { client.close() }
        let applied = Date()
        _ = try await client.apply(id: "cutoff", fault: Self.fullPartition, lease: .seconds(60))
        var reverted: Double?
        while Date().timeIntervalSince(applied) < 6 {
            if try !agent.host.nftTables().contains("fl_cutoff") { reverted = Date().timeIntervalSince(applied); break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = try #require(reverted, "the fault that cut the controller off was still applied after 6 s; log: \(agent.log)")
        #expect(elapsed < 3.5, "reverted after \(elapsed) s")
        #expect(await agent.logEventually(contains: "management channel check failed after applying cutoff"))
        #expect(await agent.logEventually(contains: "revert id=cutoff kind=partition reason=management-channel-lost result=reverted"))
        let fresh = try agent.client()
        defer { fresh.close() }
        #expect(try await fresh.faults().isEmpty)
    }

    @Test("policy refusals, malformed and oversized requests get a 4xx with a reason and change nothing")
    func refusals() async throws {
        let agent = try AgentUnderTest(tag: "ap", policy: """
              allowed-kinds: [partition, loss]
              max-lease-seconds: 20
              max-concurrent-faults: 1
            """)
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        func expectStatus(_ status: Int, _ method: String, _ path: String, _ body: String, contains reason: String,
                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let response = try await client.send(method: method, path: path, body: Array(body.utf8))
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(response.status == status, "\(method) \(path) \(body.prefix(60)): \(text)", sourceLocation: sourceLocation)
            #expect(text.contains(reason), "expected '\(reason)' in \(text)", sourceLocation: sourceLocation)
        }
        let pause = #"{"fault":{"kind":"pause","parameters":{"process":{"name":"sleep"}}},"lease":"5s"}"#
        try await expectStatus(403, "PUT", "/v1/faults/p", pause, contains: "policy: fault kind 'pause' is not allowed")
        let longLease = #"{"fault":{"kind":"partition","parameters":{"topology":{"inbound":{}}}},"lease":"60s"}"#
        try await expectStatus(403, "PUT", "/v1/faults/l", longLease, contains: "exceeds this host's maximum of 20")
        try await expectStatus(400, "PUT", "/v1/faults/j", "{not json", contains: "invalid JSON")
        try await expectStatus(400, "PUT", "/v1/faults/k", #"{"fault":{"kind":"teleport","parameters":{}}}"#, contains: "teleport")
        try await expectStatus(400, "PUT", "/v1/faults/t", #"{"fault":{"kind":"loss","parameters":{"percent":"lots"}}}"#, contains: "percent")
        try await expectStatus(400, "PUT", "/v1/faults/r", #"{"fault":{"kind":"loss","parameters":{"percent":150}}}"#, contains: "outside 0 to 100")
        try await expectStatus(400, "PUT", "/v1/faults/bad%20id", longLease, contains: "invalid fault id")
        try await expectStatus(413, "PUT", "/v1/faults/huge", String(repeating: "x", count: 100_000), contains: "over 65536 bytes")
        try await expectStatus(404, "GET", "/v1/nothing", "", contains: "no such endpoint")
        try await expectStatus(405, "POST", "/v1/health", "", contains: "not allowed")
        try await expectStatus(404, "DELETE", "/v1/faults/never", "", contains: "no fault 'never'")
        let isolate = #"{"fault":{"kind":"partition","parameters":{"topology":{"halves":{"_0":"etcd"}}}},"lease":"5s"}"#
        try await expectStatus(422, "PUT", "/v1/faults/h", isolate, contains: "resolved by the controller")
        let named = #"{"fault":{"kind":"partition","parameters":{"topology":{"inbound":{}},"filter":{"peers":["target:etcd"]}}},"lease":"5s"}"#
        try await expectStatus(422, "PUT", "/v1/faults/n", named, contains: "peers must be addresses")
        #expect(try await client.faults().isEmpty)
        #expect(try !agent.host.nftTables().contains("fl_"))

        // The concurrency limit: one fault is allowed, the second is refused.
        _ = try await client.apply(id: "one", fault: .loss(Loss(percent: Percent(points: 5))), lease: .seconds(10))
        try await expectStatus(403, "PUT", "/v1/faults/two", #"{"fault":{"kind":"loss","parameters":{"percent":5}},"lease":"5s"}"#,
                               contains: "at most 1 at once")
        #expect(try await client.revertAll() == ["one"])
        #expect(try !agent.host.nftTables().contains("fl_"))
    }
}
