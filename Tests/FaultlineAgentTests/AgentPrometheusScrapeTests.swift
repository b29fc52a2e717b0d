#if canImport(Glibc)
import Glibc
#endif
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// Agents/prometheus/prometheus.yml as shipped, its paths and targets replaced, run by
/// Debian's real `prometheus` against a real agent over mutual TLS with a controller
/// certificate of Prometheus' own.
@Suite("faultline-agent scraped by Prometheus", .serialized)
struct AgentPrometheusScrapeTests {
    static let prometheus = "/usr/bin/prometheus"
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Agents/prometheus/prometheus.yml").path

    /// curl's answer (or "" when it fails: the caller retries).
    static func get(_ url: String, query: String? = nil) -> String {
        var argv = ["/usr/bin/curl", "-s", "-m", "2", "-G", url]
        if let query { argv += ["--data-urlencode", "query=\(query)"] }
        return (try? TestHostNamespace.run(argv)) ?? ""
    }

    @Test("Prometheus with the shipped scrape config reports the agent up and faultline_build_info 1 with our version")
    func realScrape() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.prometheus) else {
            print("skipped: \(Self.prometheus) is missing (Debian's prometheus package; `make deps` installs it)")
            return
        }
        let agent = try AgentUnderTest(tag: "pm")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let credentials = try agent.pki.issue(.controller, name: "prometheus")
        let directory = try TemporaryDirectory("prom")
        defer { directory.remove() }

        let target = "\(agent.host.hostAddress):\(agent.port)"
        var config = try String(contentsOfFile: Self.shipped, encoding: .utf8)
        for (shipped, here) in [("/etc/prometheus/faultline/ca.pem", agent.pki.caPath),
                                ("/etc/prometheus/faultline/prometheus.pem", credentials.certificate),
                                ("/etc/prometheus/faultline/prometheus-key.pem", credentials.key),
                                (#"["10.0.0.11:7433", "10.0.0.12:7433", "10.0.0.13:7433"]"#, "[\"\(target)\"]"),
                                ("scrape_interval: 15s", "scrape_interval: 1s")] {
            #expect(config.contains(shipped), "the shipped config no longer has \(shipped)")
            config = config.replacingOccurrences(of: shipped, with: here)
        }
        try config.write(toFile: directory.path + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = try LoopbackSocket.freePorts(1)[0]
        let server = try SpawnedProcess([Self.prometheus, "--config.file=\(directory.path)/prometheus.yml",
                                         "--storage.tsdb.path=\(directory.path)/data", "--web.listen-address=127.0.0.1:\(port)"],
                                        logPath: directory.path + "/prometheus.log")
        defer { server.kill() }
        let base = "http://127.0.0.1:\(port)"

        // The target's health as Prometheus sees it, then the series it scraped.
        var targets = "", health = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if server.hasExited { Issue.record("prometheus exited: \(server.logTail())"); return }
            targets = Self.get(base + "/api/v1/targets")
            if let object = try? JSONSerialization.jsonObject(with: Data(targets.utf8)) as? [String: Any],
               let data = object["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]],
               let ours = active.first(where: { ($0["labels"] as? [String: String])?["job"] == "faultline-agent" }) {
                health = ours["health"] as? String ?? ""
                if health == "up" { break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(health == "up", "targets: \(targets)\nprometheus: \(server.logTail())\nagent: \(agent.log)")
        #expect(targets.contains("\"scrapeUrl\":\"https://\(target)/metrics\""), "\(targets)")

        var answer = ""
        var sample: (version: String?, value: String?) = (nil, nil)
        let queryDeadline = Date().addingTimeInterval(20)
        while Date() < queryDeadline {
            answer = Self.get(base + "/api/v1/query", query: "faultline_build_info{job=\"faultline-agent\"}")
            if let object = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
               let data = object["data"] as? [String: Any], let result = (data["result"] as? [[String: Any]])?.first,
               let metric = result["metric"] as? [String: String], let value = result["value"] as? [Any] {
                sample = (metric["version"], value.last as? String)
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(sample.version == FaultlineVersion.current, "\(answer)")
        #expect(sample.value == "1", "\(answer)")
        // Prometheus was a caller like any other: authenticated by its own certificate, audited.
        #expect(await agent.logEventually(contains: "caller=prometheus action=GET /metrics result=200"), "\(agent.log)")
    }
}
