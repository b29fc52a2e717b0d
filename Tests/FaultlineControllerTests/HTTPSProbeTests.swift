#if canImport(Glibc)
import Glibc
#endif
import FaultlineCore
import FaultlinePlan
import FaultlineTestSupport
import Foundation
import Testing
@testable import FaultlineController

/// `https://` http probes against real TLS servers on loopback (NIO + NIOSSL, certificates
/// minted by `CertificateAuthority` for this test): what verifies, and what each refusal says.
@Suite("HTTPS probes: real TLS servers on loopback", .serialized)
struct HTTPSProbeTests {
    /// An http probe from plan text (the parser is the only way to make one); `tls` is the
    /// probe's tls mapping in flow style, or nil for none.
    func probe(_ url: String, tls: String?, timeout: String = "2s") throws -> Probe {
        let plan = try TestPlans.parse("""
        version: 1
        title: t
        \(TestPlans.inventory(1))
        steady-state:
          - name: p
            probe: { http: { url: "\(url)", timeout: \(timeout), expect: { status: 200, body: "fl-https ok" }\(tls.map { ", tls: \($0)" } ?? "") } }
        method:
          - pause: 1s
        """)
        return plan.steadyState[0].probe
    }

    func observe(_ probe: Probe) async -> ProbeObservation {
        await HealthProbe.run(probe, hosts: nil, defaultTimeout: .seconds(5))[0]
    }

    @Test func aServerWhoseCertificateChainsToTheConfiguredCAAndNamesTheHostIsVerified() async throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(certificate: pki.server.certificate, key: pki.server.key, clientCA: pki.ca, clients: .none)
        defer { server.stop() }

        let byAddress = await observe(try probe("https://127.0.0.1:\(server.port)/health", tls: "{ ca: \"\(pki.ca)\" }"))
        #expect(byAddress.ok, "\(byAddress.detail)")
        #expect(byAddress.detail.hasPrefix("status 200 in "), "\(byAddress.detail)")
        let byName = await observe(try probe("https://localhost:\(server.port)/", tls: "{ ca: \"\(pki.ca)\" }"))
        #expect(byName.ok, "\(byName.detail)")
        print("https probe verified: \(byAddress.detail)")

        // An unrelated CA: refused, and the message says against what it was checked.
        let wrongCA = await observe(try probe("https://127.0.0.1:\(server.port)/", tls: "{ ca: \"\(pki.otherCA)\" }"))
        #expect(!wrongCA.ok)
        #expect(wrongCA.detail == "GET https://127.0.0.1:\(server.port)/: TLS: the server's certificate is not trusted: it does not chain to the CA in \(pki.otherCA) (CERTIFICATE_VERIFY_FAILED)", "\(wrongCA.detail)")
        print("wrong CA: \(wrongCA.detail)")

        // No `tls`: the system's roots, which do not know this test's CA.
        let systemRoots = await observe(try probe("https://127.0.0.1:\(server.port)/", tls: nil))
        #expect(!systemRoots.ok)
        #expect(systemRoots.detail.contains("does not chain to the system's trusted roots"), "\(systemRoots.detail)")

        // insecure-skip-verify: answered, though nothing was checked.
        let insecure = await observe(try probe("https://127.0.0.1:\(server.port)/", tls: "{ insecure-skip-verify: true }"))
        #expect(insecure.ok, "\(insecure.detail)")
    }

    @Test func aCertificateForAnotherNameIsRefusedEvenFromTheTrustedCA() async throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(certificate: pki.elsewhere.certificate, key: pki.elsewhere.key, clientCA: pki.ca, clients: .none)
        defer { server.stop() }
        let byAddress = await observe(try probe("https://127.0.0.1:\(server.port)/", tls: "{ ca: \"\(pki.ca)\" }"))
        #expect(!byAddress.ok)
        #expect(byAddress.detail == "GET https://127.0.0.1:\(server.port)/: TLS: the server's certificate does not name '127.0.0.1'", "\(byAddress.detail)")
        let byName = await observe(try probe("https://localhost:\(server.port)/", tls: "{ ca: \"\(pki.ca)\" }"))
        #expect(!byName.ok)
        #expect(byName.detail.contains("does not name 'localhost'"), "\(byName.detail)")
        print("hostname mismatch: \(byAddress.detail)")
    }

    @Test func theClientCertificateIsPresentedWhenConfiguredAndOnlyThen() async throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let mutual = try await HTTPSTestServer(certificate: pki.server.certificate, key: pki.server.key, clientCA: pki.ca, clients: .required)
        defer { mutual.stop() }
        let withCertificate = "{ ca: \"\(pki.ca)\", certificate: \"\(pki.client.certificate)\", key: \"\(pki.client.key)\" }"

        let presented = await observe(try probe("https://127.0.0.1:\(mutual.port)/", tls: withCertificate))
        #expect(presented.ok, "\(presented.detail)")
        let withoutCertificate = await observe(try probe("https://127.0.0.1:\(mutual.port)/", tls: "{ ca: \"\(pki.ca)\" }"))
        #expect(!withoutCertificate.ok)
        #expect(withoutCertificate.detail.contains("demands a client certificate and none is configured"), "\(withoutCertificate.detail)")
        print("no client certificate: \(withoutCertificate.detail)")
        let stranger = "{ ca: \"\(pki.ca)\", certificate: \"\(pki.strangerClient.certificate)\", key: \"\(pki.strangerClient.key)\" }"
        let refused = await observe(try probe("https://127.0.0.1:\(mutual.port)/", tls: stranger))
        #expect(!refused.ok)
        #expect(refused.detail.contains("TLS: the server refused our client certificate \(pki.strangerClient.certificate)"), "\(refused.detail)")
        print("client certificate from another CA: \(refused.detail)")

        // A server that only accepts one if offered says which it got.
        let optional = try await HTTPSTestServer(certificate: pki.server.certificate, key: pki.server.key, clientCA: pki.ca, clients: .optional)
        defer { optional.stop() }
        let yes = try probe("https://127.0.0.1:\(optional.port)/", tls: withCertificate)
        guard case .http(var saysYes) = yes else { throw TestFailure("not http") }
        saysYes.expect.body = "client certificate: yes"
        #expect(await observe(.http(saysYes)).ok)
        let no = try probe("https://127.0.0.1:\(optional.port)/", tls: "{ ca: \"\(pki.ca)\" }")
        guard case .http(var saysNo) = no else { throw TestFailure("not http") }
        saysNo.expect.body = "client certificate: no"
        #expect(await observe(.http(saysNo)).ok)
    }

    @Test func aServerThatNeverCompletesTheHandshakeCostsExactlyTheTimeout() async throws {
        // A listening socket nobody accepts from: TCP connects (the kernel's backlog), TLS never answers.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(listen(fd, 8) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)

        let silent = await observe(try probe("https://127.0.0.1:\(port)/", tls: "{ insecure-skip-verify: true }", timeout: "400ms"))
        #expect(!silent.ok)
        #expect(silent.detail.contains("no complete answer within 400ms"), "\(silent.detail)")
        #expect(silent.durationSeconds >= 0.38 && silent.durationSeconds < 1.0, "took \(silent.durationSeconds) s")

        close(fd)
        let refused = await observe(try probe("https://127.0.0.1:\(port)/", tls: "{ insecure-skip-verify: true }"))
        #expect(!refused.ok)
        #expect(refused.detail.contains("connect to 127.0.0.1:\(port)") && refused.detail.lowercased().contains("refused"), "\(refused.detail)")
    }

    @Test func anHTTPActionRefusesHTTPSWithAMessageInsteadOfSpeakingPlaintext() {
        let result = HTTPProbeRunner.exchange("GET", "https://127.0.0.1:1/", headers: [:], body: nil, timeoutSeconds: 1)
        guard case .failure(let problem) = result else { Issue.record("an https action was sent in plaintext"); return }
        #expect(problem.detail.contains("an http action speaks plain http:// only"), "\(problem.detail)")
    }
}
