import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// Issue 14: callers have roles. Only a controller certificate may call the API; an
/// agent's own certificate (which could apply and halt on every agent of the
/// installation) is refused, and so is a revoked controller once the agent re-reads its
/// deny list. Every refusal names the caller's address.
@Suite("faultline-agent caller roles", .serialized)
struct AgentCallerRoleTests {
    static let fullPartition = Fault.partition(Partition(topology: .inbound))
    static let apply = Array(#"{"fault":{"kind":"partition","parameters":{"topology":"inbound"}},"lease":"5s"}"#.utf8)

    @Test("an agent certificate as caller is refused (today's serve-only ones at the handshake, older serverAuth+clientAuth ones with a 403), audited with the peer address")
    func agentCertificateRefused() async throws {
        let agent = try AgentUnderTest(tag: "ra")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let peer = "peer=\(agent.host.controllerAddress):"

        // `faultline certs issue agent` certificates carry serverAuth only: no handshake as a client.
        let serveOnly = try agent.client(.agent)
        defer { serveOnly.close() }
        await #expect(throws: AgentCallError.self) { _ = try await serveOnly.send(method: "PUT", path: "/v1/faults/by-agent", body: Self.apply) }
        #expect(await agent.logEventually(contains: "refused handshake \(peer)"), "\(agent.log)")

        // Certificates made before carry both usages: the handshake passes, the role does not.
        let legacy = try agent.pki.issueLegacyAgent(name: "old-agent")
        let old = try agent.client(.files(legacy))
        defer { old.close() }
        let response = try await old.send(method: "PUT", path: "/v1/faults/by-old-agent", body: Self.apply)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 403 && body.contains("agent certificate"), "\(response.status) \(body)")
        let halt = try await old.send(method: "DELETE", path: "/v1/faults", body: [])
        #expect(halt.status == 403)
        #expect(await agent.logEventually(contains: "\(peer)"), "\(agent.log)")
        #expect(agent.log.contains("caller=old-agent action=PUT /v1/faults/by-old-agent result=403"), "\(agent.log)")
        #expect(agent.log.range(of: #"call peer=10\.79\.\d+\.\d+:\d+ caller=old-agent action=PUT"#, options: .regularExpression) != nil)

        let controller = try agent.client()
        defer { controller.close() }
        #expect(try await controller.faults().isEmpty, "a refused caller applied something")
        #expect(try !agent.host.nftTables().contains("fl_"))
        #expect(agent.log.contains("call \(peer)"), "calls name the peer: \(agent.log)")
    }

    @Test("a revoked controller certificate is refused after SIGHUP while another controller certificate still works")
    func revokedControllerRefusedAfterReload() async throws {
        let agent = try AgentUnderTest(tag: "rr")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let second = try agent.pki.issue(.controller, name: "ci-runner")
        let revoked = try agent.client(.files(second))
        defer { revoked.close() }
        #expect(try await revoked.health().status == "ok")

        // What `faultline certs revoke ci-runner` writes, where the agent looks by default: beside the CA.
        let serial = try CertificateDenyList.serial(ofPEM: try String(contentsOfFile: second.certificate, encoding: .utf8))
        let listPath = agent.pki.directory + "/" + CertificateDenyList.fileName
        try ("# test deny list\n" + CertificateDenyList.line(serial: serial, name: "ci-runner")).write(toFile: listPath, atomically: true, encoding: .utf8)
        revoked.close()
        // Read at start and on SIGHUP only: until then the certificate still works.
        #expect(try await revoked.health().status == "ok")
        revoked.close()

        agent.signal(SIGHUP)
        #expect(await agent.logEventually(contains: "certificate deny list \(listPath) reloaded: 1 revoked serial"), "\(agent.log)")
        let refused = try await revoked.send(method: "GET", path: "/v1/health", body: [])
        let body = String(decoding: refused.body, as: UTF8.self)
        #expect(refused.status == 403 && body.contains("certificate serial \(serial) is revoked"), "\(refused.status) \(body)")
        let apply = try await revoked.send(method: "PUT", path: "/v1/faults/revoked", body: Self.apply)
        #expect(apply.status == 403)
        #expect(agent.log.contains("call peer=\(agent.host.controllerAddress):"), "\(agent.log)")
        #expect(agent.log.contains("caller=ci-runner action=PUT /v1/faults/revoked result=403 reason=certificate serial \(serial) is revoked"), "\(agent.log)")

        let controller = try agent.client()
        defer { controller.close() }
        #expect(try await controller.health().status == "ok", "the other controller must still be served")
        #expect(try await controller.faults().isEmpty)
        #expect(!agent.process.hasExited, "SIGHUP must not end the agent")
    }
}
