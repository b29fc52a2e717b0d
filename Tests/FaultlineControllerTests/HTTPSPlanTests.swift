import FaultlinePlan
import FaultlineTestSupport
import Foundation
import Testing

/// The `tls:` of http and prometheus probes in the plan: files resolved against the plan's
/// directory and checked when the plan is read; every mistake located and named.
@Suite("HTTPS probes: the plan's tls settings")
struct HTTPSPlanTests {
    /// Parses a plan whose steady-state probe (line 7) is `probeLine`, as if from dir/plan.yaml.
    func parse(_ probeLine: String, directory: String) -> Result<Plan, PlanError> {
        PlanParser.parse("""
        version: 1
        title: t
        inventory: { hosts: [ { name: n1, address: 10.0.0.11, agent: "https://10.0.0.11:7433" } ] }
        steady-state:
          - name: p
            probe:
        \(probeLine)
        method:
          - pause: 1s
        """, file: directory + "/plan.yaml", directory: directory)
    }

    func diagnostics(_ probeLine: String, _ pki: HTTPSTestPKI) -> [Diagnostic] {
        switch parse(probeLine, directory: pki.path) {
        case .success: return []
        case .failure(let e): return e.diagnostics
        }
    }

    @Test func relativeFilesAreResolvedAgainstThePlansDirectoryAndDefaultsAreSafe() throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let plan = try parse("""
              http: { url: "https://10.0.0.11:8443/", tls: { ca: ca.pem, certificate: client.pem, key: client-key.pem } }
        """, directory: pki.path).get()
        guard case .http(let p) = plan.steadyState[0].probe else { throw TestFailure("not http") }
        #expect(p.tls == ProbeTLS(ca: pki.ca, certificate: pki.client.certificate, key: pki.client.key, insecureSkipVerify: false))

        let bare = try parse("      http: { url: \"https://10.0.0.11:8443/\" }", directory: pki.path).get()
        guard case .http(let b) = bare.steadyState[0].probe else { throw TestFailure("not http") }
        #expect(b.tls == ProbeTLS(), "no tls: system roots, full verification")
        #expect(b.tls.insecureSkipVerify == false)

        let prom = try parse("      prometheus: { url: \"https://10.0.0.11:9090\", query: up, equals: 1, tls: { ca: \(pki.ca) } }", directory: pki.path).get()
        guard case .prometheus(let q) = prom.steadyState[0].probe else { throw TestFailure("not prometheus") }
        #expect(q.tls.ca == pki.ca)
    }

    @Test func aMissingCAFileIsAPlanErrorAtItsValue() throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let d = diagnostics("      http: { url: \"https://10.0.0.11:8443/\", tls: { ca: missing-ca.pem } }", pki)
        #expect(d.count == 1)
        #expect(d.first?.description == "\(pki.path)/plan.yaml:7:58: error: steady-state[0].probe.http.tls.ca: expected a path to PEM certificates, but 'missing-ca.pem' does not exist (looked for \(pki.path)/missing-ca.pem)",
                "\(d)")
    }

    @Test func eachMistakeInTLSIsNamedWithItsField() throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let cases: [(String, field: String, message: String)] = [
            ("http: { url: \"http://10.0.0.11/\", tls: { ca: ca.pem } }", "steady-state[0].probe.http.tls",
             "'tls' applies to https:// URLs only; this URL is 'http://10.0.0.11/' (use https:// or remove 'tls')"),
            ("http: { url: \"https://10.0.0.11/\", tls: { certificate: client.pem } }", "steady-state[0].probe.http.tls.certificate",
             "'certificate' needs 'key' too: a client certificate is presented with its private key"),
            ("http: { url: \"https://10.0.0.11/\", tls: { key: client-key.pem } }", "steady-state[0].probe.http.tls.key",
             "'key' needs 'certificate' too: a client certificate is presented with its private key"),
            ("http: { url: \"https://10.0.0.11/\", tls: { certificate: client.pem, key: client.pem } }", "steady-state[0].probe.http.tls.key",
             "expected a PEM private key ('PRIVATE KEY-----') in 'client.pem', found none"),
            ("http: { url: \"https://10.0.0.11/\", tls: { ca: client-key.pem } }", "steady-state[0].probe.http.tls.ca",
             "expected PEM certificates ('-----BEGIN CERTIFICATE-----') in 'client-key.pem', found none"),
            ("http: { url: \"https://10.0.0.11/\", tls: { ca: \"\" } }", "steady-state[0].probe.http.tls.ca",
             "expected a path to PEM certificates, found an empty string"),
            ("http: { url: \"https://10.0.0.11/\", tls: { ca: \"/\" } }", "steady-state[0].probe.http.tls.ca",
             "expected a path to PEM certificates, but '/' is a directory"),
            ("http: { url: \"https://10.0.0.11/\", tls: { ca: ca.pem, insecure-skip-verify: true } }", "steady-state[0].probe.http.tls.insecure-skip-verify",
             "'insecure-skip-verify: true' checks no certificate, so 'ca' would be ignored; remove one of them"),
            ("http: { url: \"https://10.0.0.11/\", tls: [ca.pem] }", "steady-state[0].probe.http.tls",
             "expected a mapping with ca, certificate, key, insecure-skip-verify, found a list of 1"),
            ("prometheus: { url: \"10.0.0.11:9090\", query: up, equals: 1 }", "steady-state[0].probe.prometheus.url",
             "expected an http:// or https:// URL, found '10.0.0.11:9090'"),
        ]
        for (probe, field, message) in cases {
            let d = diagnostics("      " + probe, pki)
            #expect(d.count == 1 && d.first?.field == field && d.first?.message == message && d.first?.line == 7, "\(probe)\n\(d)")
        }
        let typo = diagnostics("      http: { url: \"https://10.0.0.11/\", tls: { insecure-skip-verfy: true } }", pki)
        #expect(typo.first?.field == "steady-state[0].probe.http.tls.insecure-skip-verfy" && typo.first?.suggestion == "insecure-skip-verify", "\(typo)")
        let notBool = diagnostics("      http: { url: \"https://10.0.0.11/\", tls: { insecure-skip-verify: maybe } }", pki)
        #expect(notBool.first?.field == "steady-state[0].probe.http.tls.insecure-skip-verify", "\(notBool)")
    }
}
