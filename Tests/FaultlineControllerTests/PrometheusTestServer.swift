#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation

/// A real Prometheus (Debian's `prometheus`) for one test: its own temporary directory
/// for configuration and storage, listening on 127.0.0.1 at a free port, scraping every
/// second only targets the test names (itself, and endpoints the test serves).
///
/// `stop()` (call it in `defer`) kills it by pid and removes its directory.
final class PrometheusTestServer: Sendable {
    static let binary = "/usr/bin/prometheus"

    /// Server certificate, key and the CA its clients' certificates must chain to.
    struct MutualTLS: Sendable { var certificate: String; var key: String; var clientCA: String; var client: (certificate: String, key: String) }

    let directory: TemporaryDirectory
    let port: UInt16
    let process: SpawnedProcess
    let tls: MutualTLS?
    var url: String { "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// - Parameters:
    ///   - targets: job name → `host:port` endpoints serving `/metrics`.
    ///   - tls: serve HTTPS only, demanding a client certificate (Prometheus' web config).
    init(scraping targets: [String: [String]] = [:], tls: MutualTLS? = nil) throws {
        self.tls = tls
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("\(Self.binary) is missing: install Debian's prometheus package (make deps)")
        }
        directory = try TemporaryDirectory("prom")
        do {
            port = try LoopbackSocket.freePorts(1)[0]
            var config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: prometheus
                static_configs:
                  - targets: ["127.0.0.1:\(port)"]

            """
            for (job, endpoints) in targets.sorted(by: { $0.key < $1.key }) {
                config += """
                  - job_name: \(job)
                    static_configs:
                      - targets: [\(endpoints.map { "\"\($0)\"" }.joined(separator: ", "))]

                """
            }
            try config.write(toFile: directory.path + "/prometheus.yml", atomically: true, encoding: .utf8)
            var argv = [Self.binary, "--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
                        "--web.listen-address=127.0.0.1:\(port)"]
            if let tls {
                try """
                tls_server_config:
                  cert_file: \(tls.certificate)
                  key_file: \(tls.key)
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: \(tls.clientCA)

                """.write(toFile: directory.path + "/web.yml", atomically: true, encoding: .utf8)
                argv.append("--web.config.file=\(directory.path)/web.yml")
            }
            process = try SpawnedProcess(argv, logPath: directory.path + "/prometheus.log")
        } catch {
            directory.remove()
            throw error
        }
    }

    func stop() {
        process.kill()
        directory.remove()
    }

    /// Waits until `/-/ready` answers 200; throws with Prometheus' log otherwise.
    func waitUntilReady(seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if process.hasExited { throw TestFailure("prometheus exited:\n\(process.logTail())") }
            if (try? tool(["/usr/bin/curl", "-s", "-f", "-m", "1"] + curlTLS + [url + "/-/ready"]))?.contains("Ready") == true { return }
            usleep(100_000)
        }
        throw TestFailure("prometheus was not ready within \(seconds) s:\n\(process.logTail())")
    }

    /// Waits until an instant query returns at least one series (the first scrapes take
    /// a few seconds after start, whatever the interval).
    func waitForSeries(_ query: String, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = (try? tool(["/usr/bin/curl", "-s", "-m", "2"] + curlTLS + ["-G", url + "/api/v1/query", "--data-urlencode", "query=\(query)"])) ?? ""
            if last.contains("\"result\":[{") { return }
            usleep(200_000)
        }
        throw TestFailure("prometheus had no series for \(query) within \(seconds) s; last answer: \(last)\n\(process.logTail())")
    }

    /// curl's arguments for the mutual TLS the server demands.
    var curlTLS: [String] {
        guard let tls else { return [] }
        return ["--cacert", tls.clientCA, "--cert", tls.client.certificate, "--key", tls.client.key]
    }
}

/// A static `/metrics` exposition the test controls, served on loopback by
/// `python3 -m http.server` from a directory of its own; `stop()` kills it and removes it.
final class MetricsEndpoint: Sendable {
    let directory: TemporaryDirectory
    let port: UInt16
    let process: SpawnedProcess
    var address: String { "127.0.0.1:\(port)" }

    init(exposition: String) throws {
        directory = try TemporaryDirectory("metrics")
        do {
            try exposition.write(toFile: directory.path + "/metrics", atomically: true, encoding: .utf8)
            port = try LoopbackSocket.freePorts(1)[0]
            process = try SpawnedProcess(["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1",
                                          "--directory", directory.path], logPath: directory.path + "/http.log")
        } catch {
            directory.remove()
            throw error
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? tool(["/usr/bin/curl", "-s", "-f", "-m", "1", "http://\(address)/metrics"]))?.contains("# TYPE") == true { return }
            usleep(100_000)
        }
        stop()
        throw TestFailure("the metrics endpoint on \(address) did not answer")
    }

    func stop() {
        process.kill()
        directory.remove()
    }
}
