#if canImport(Glibc)
import Glibc
#endif
import FaultlineCore
import FaultlinePlan
import FaultlineTestSupport
import Foundation
import Testing
@testable import FaultlineController

/// The `prometheus:` probe against a real Prometheus (Debian's package) on loopback,
/// scraping every second an exposition this test serves, with known values:
/// fl_probe_test_depth{shard="a"} 7 and {shard="b"} 3.
@Suite("Prometheus probe: a real Prometheus on loopback", .serialized)
struct PrometheusProbeTests {
    static let exposition = """
    # HELP fl_probe_test_depth A queue depth this test controls.
    # TYPE fl_probe_test_depth gauge
    fl_probe_test_depth{shard="a"} 7
    fl_probe_test_depth{shard="b"} 3

    """

    /// A `prometheus:` probe, through the plan parser (the only way to make one).
    func probe(_ url: String, _ query: String, _ tolerance: String, timeout: String = "3s", tls: String? = nil) throws -> Probe {
        let plan = try TestPlans.parse("""
        version: 1
        title: t
        \(TestPlans.inventory(1))
        steady-state:
          - name: p
            probe: { prometheus: { url: "\(url)", query: '\(query)', \(tolerance), timeout: \(timeout)\(tls.map { ", tls: \($0)" } ?? "") } }
        method:
          - pause: 1s
        """)
        return plan.steadyState[0].probe
    }

    func observe(_ probe: Probe) async -> ProbeObservation {
        let observations = await HealthProbe.run(probe, hosts: nil, defaultTimeout: .seconds(5))
        return observations[0]
    }

    @Test func instantQueriesAgainstARealPrometheusHoldDeviateAndFailWithPrometheusOwnWords() async throws {
        let endpoint = try await offPool { try MetricsEndpoint(exposition: Self.exposition) }
        defer { endpoint.stop() }
        let prometheus = try await offPool { try PrometheusTestServer(scraping: ["fl-probe-test": [endpoint.address]]) }
        defer { prometheus.stop() }
        let started = Date()
        try await offPool { try prometheus.waitUntilReady() }
        let ready = Date().timeIntervalSince(started)
        try await offPool { try prometheus.waitForSeries("fl_probe_test_depth") }
        try await offPool { try prometheus.waitForSeries(#"up{job="prometheus"}"#) }
        print("prometheus ready after \(String(format: "%.2f", ready)) s, first scrape seen after \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        let url = prometheus.url

        // Holds: every series of the vector is within (7 and 3 are both below 10).
        let held = await observe(try probe(url, "fl_probe_test_depth", "below: 10"))
        #expect(held.ok, "\(held.detail)")
        #expect(held.value == 7 || held.value == 3, "\(held.detail)")
        #expect(held.detail.hasPrefix(#"fl_probe_test_depth{__name__="fl_probe_test_depth",instance="\#(endpoint.address)",job="fl-probe-test",shard="#), "\(held.detail)")
        #expect(held.detail.contains(", expected < 10.0"), "\(held.detail)")
        #expect(held.detail.contains("and 1 more series, all within"), "\(held.detail)")

        // Prometheus scraping itself: up == 1.
        let up = await observe(try probe(url, #"up{job="prometheus"}"#, "equals: 1"))
        #expect(up.ok && up.value == 1, "\(up.detail)")

        // A scalar result.
        let sum = await observe(try probe(url, "scalar(sum(fl_probe_test_depth))", "between: [9, 11]"))
        #expect(sum.ok && sum.value == 10, "\(sum.detail)")

        // Deviates: the message carries what was observed and what was expected.
        let deviated = await observe(try probe(url, "max(fl_probe_test_depth)", "above: 10"))
        #expect(!deviated.ok)
        #expect(deviated.value == 7)
        #expect(deviated.detail == "max(fl_probe_test_depth) = 7, expected > 10.0", "\(deviated.detail)")

        // One series out of two outside the tolerance fails the whole vector, naming it.
        let oneOff = await observe(try probe(url, "fl_probe_test_depth", "below: 5"))
        #expect(!oneOff.ok)
        #expect(oneOff.detail.contains(#"shard="a"} = 7, expected < 5.0"#), "\(oneOff.detail)")

        // Empty: no data is not evidence of health.
        let empty = await observe(try probe(url, #"fl_probe_test_depth{shard="zzz"}"#, "below: 10"))
        #expect(!empty.ok && empty.value == nil)
        #expect(empty.detail == #"fl_probe_test_depth{shard="zzz"} returned no series, expected < 10.0"#, "\(empty.detail)")

        // Bad PromQL: Prometheus' own error is in the message.
        let bad = await observe(try probe(url, "sum(fl_probe_test_depth", "below: 10"))
        #expect(!bad.ok)
        #expect(bad.detail.hasPrefix("query sum(fl_probe_test_depth failed: "), "\(bad.detail)")
        #expect(bad.detail.contains("parse error"), "\(bad.detail)")
        print("bad PromQL: \(bad.detail)")

        #expect(held.durationSeconds < 1 && deviated.durationSeconds < 1, "queries took \(held.durationSeconds) s, \(deviated.durationSeconds) s")
        print("query round trips: held \(String(format: "%.1f", held.durationSeconds * 1000)) ms, deviated \(String(format: "%.1f", deviated.durationSeconds * 1000)) ms")
    }

    @Test func anUnreachablePrometheusFailsWithinTheTimeoutAndSaysWhy() async throws {
        // A port nobody listens on: the connection is refused at once.
        let port = try LoopbackSocket.freePorts(1)[0]
        let refused = await observe(try probe("http://127.0.0.1:\(port)", "up", "equals: 1"))
        #expect(!refused.ok && refused.value == nil)
        #expect(refused.detail.hasPrefix("query up: "), "\(refused.detail)")
        #expect(refused.detail.lowercased().contains("refused"), "\(refused.detail)")
        #expect(refused.durationSeconds < 1)

        // A Prometheus that stopped answering (SIGSTOP): the probe gives up at its timeout.
        let prometheus = try await offPool { try PrometheusTestServer() }
        defer { prometheus.stop() }
        try await offPool { try prometheus.waitUntilReady() }
        prometheus.process.signal(SIGSTOP)
        defer { prometheus.process.signal(SIGCONT) }
        let hung = await observe(try probe(prometheus.url, "up", "equals: 1", timeout: "500ms"))
        #expect(!hung.ok)
        #expect(hung.durationSeconds >= 0.45 && hung.durationSeconds < 1.5, "took \(hung.durationSeconds) s: \(hung.detail)")
        print("stopped prometheus: \(hung.detail) after \(String(format: "%.2f", hung.durationSeconds)) s")
    }

    /// A real Prometheus serving HTTPS only (its web config) and demanding a client
    /// certificate: the probe verifies it against the test's CA and presents its own.
    @Test func aPrometheusBehindMutualTLSIsQueriedOverHTTPS() async throws {
        let pki = try HTTPSTestPKI()
        defer { pki.remove() }
        let tls = PrometheusTestServer.MutualTLS(certificate: pki.server.certificate, key: pki.server.key, clientCA: pki.ca, client: pki.client)
        let prometheus = try await offPool { try PrometheusTestServer(tls: tls) }
        defer { prometheus.stop() }
        try await offPool { try prometheus.waitUntilReady() }
        #expect(prometheus.url.hasPrefix("https://"))

        let mutual = "{ ca: \"\(pki.ca)\", certificate: \"\(pki.client.certificate)\", key: \"\(pki.client.key)\" }"
        let held = await observe(try probe(prometheus.url, "vector(7)", "equals: 7", tls: mutual))
        #expect(held.ok && held.value == 7, "\(held.detail)")
        #expect(held.detail == "vector(7) = 7, expected = 7", "\(held.detail)")

        let bad = await observe(try probe(prometheus.url, "sum(", "equals: 7", tls: mutual))
        #expect(!bad.ok && bad.detail.contains("parse error"), "\(bad.detail)")

        let noClient = await observe(try probe(prometheus.url, "vector(7)", "equals: 7", tls: "{ ca: \"\(pki.ca)\" }"))
        #expect(!noClient.ok)
        #expect(noClient.detail.hasPrefix("query vector(7): GET https://127.0.0.1:\(prometheus.port)/api/v1/query?query=vector%287%29: TLS: the server demands a client certificate and none is configured"), "\(noClient.detail)")
        print("prometheus over https without a client certificate: \(noClient.detail)")

        let wrongCA = await observe(try probe(prometheus.url, "vector(7)", "equals: 7",
                                              tls: "{ ca: \"\(pki.otherCA)\", certificate: \"\(pki.client.certificate)\", key: \"\(pki.client.key)\" }"))
        #expect(!wrongCA.ok && wrongCA.detail.contains("is not trusted"), "\(wrongCA.detail)")
    }

    /// `faultline run` with a Prometheus query in its hypothesis, before, during and after a
    /// real partition between two agent hosts; Prometheus scrapes both hosts' exposition
    /// through the bridge (the controller's side is never partitioned).
    @Test func faultlineRunJudgesAPrometheusHypothesisAndTheJournalAndJUnitShowTheSamples() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        for i in 1...2 {
            try "# TYPE fl_e2e_ready gauge\nfl_e2e_ready{host=\"h\(i)\"} 1\n".write(toFile: cluster.dir + "/www\(i)/metrics", atomically: true, encoding: .utf8)
        }
        let prometheus = try await offPool {
            try PrometheusTestServer(scraping: ["fl-web": ["\(cluster.address(1)):8000", "\(cluster.address(2)):8000"]])
        }
        defer { prometheus.stop() }
        try await offPool { try prometheus.waitUntilReady() }
        try await offPool { try prometheus.waitForSeries(#"count(up{job="fl-web"} == 1) == 2"#) }

        let planPath = cluster.dir + "/plan.yaml"
        try ("version: 1\ntitle: prometheus e2e\n" + cluster.inventoryYAML + """
        targets:
          web: { labels: { role: web } }
          first: { names: [h1] }
        steady-state:
          - name: prometheus sees both web hosts up
            probe: { prometheus: { url: "\(prometheus.url)", query: 'count(up{job="fl-web"} == 1)', equals: 2 } }
            when: [before, during, after]
            every: 500ms
          - name: every host reports ready
            probe: { prometheus: { url: "\(prometheus.url)", query: 'sum(fl_e2e_ready)', above: 1.5 } }
        method:
          - partition: { isolate: first, from: web, duration: 2s }
        settings: { lease: 3s }
        """).write(toFile: planPath, atomically: true, encoding: .utf8)
        let journalPath = cluster.dir + "/journal.json", junitPath = cluster.dir + "/junit.xml"
        let controller = try SpawnedProcess([TestCluster.faultlineBinary, "run", planPath, "--certs", cluster.pki,
                                             "--journal", journalPath, "--junit", junitPath],
                                            logPath: cluster.dir + "/controller.log", environment: ["NO_COLOR": "1", "PATH": "/usr/sbin:/usr/bin:/bin"])
        defer { controller.kill() }
        let status = try await offPool { controller.waitForExit(seconds: 60) }
        #expect(status == 0, "exit \(String(describing: status))\n\(controller.logTail())\n\(cluster.logs())")

        let journal = try Journal.decode(try Data(contentsOf: URL(fileURLWithPath: journalPath)))
        #expect(journal.outcome == .held, "\(journal.reason ?? "")")
        #expect(journal.faults.count == 2 && journal.faults.allSatisfy { $0.appliedAt != nil && $0.revertedAt != nil })
        let up = try #require(journal.probes.first { $0.name == "prometheus sees both web hosts up" })
        #expect(up.kind == "prometheus")
        #expect(Set(up.samples.map(\.phase)) == [.before, .method, .after], "\(up.samples.map(\.phase))")
        #expect(up.samples.count >= 4, "\(up.samples.count) samples")
        for sample in up.samples {
            #expect(sample.ok && sample.value == 2, "\(sample)")
            #expect(sample.detail == #"count(up{job="fl-web"} == 1) = 2, expected = 2"#, "\(sample.detail)")
        }
        let ready = try #require(journal.probes.first { $0.name == "every host reports ready" })
        #expect(ready.samples.map(\.value) == [2, 2], "\(ready.samples)")
        let junit = try String(contentsOfFile: junitPath, encoding: .utf8)
        #expect(junit.contains("prometheus sees both web hosts up") && !junit.contains("<failure"), "\(junit)")
        #expect(junit.components(separatedBy: "name=\"prometheus sees both web hosts up").count - 1 >= 3, "one testcase per timing: \(junit)")
        print(String(junit.prefix(1200)))
    }
}
