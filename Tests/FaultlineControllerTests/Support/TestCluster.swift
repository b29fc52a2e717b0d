import FaultlineTestSupport
import FaultlineAgentAPI
import FaultlineController
import FaultlineCore
import FaultlinePlan
import Foundation

/// Hosts for one end-to-end test: network namespaces `fl-ce<r>-hI` on a bridge
/// `fl-ce<r>b` (root namespace, 10.78.X.1/24, the controller's side), host I at
/// 10.78.X.(10+I); in each a real `faultline-agent` (mutual TLS, certificates from a CA
/// made for the test) and a real HTTP server (`python3 -m http.server`) on port 8000
/// serving `index.html` = "faultline-e2e hI".
///
/// `destroy()` (call it in `defer`) stops every process it started, by pid, and deletes the
/// namespaces, links and files, so `ip netns list`, links and the process table are as before.
final class TestCluster: @unchecked Sendable {
    let tag: String
    let subnet: Int
    let dir: String
    let hostCount: Int
    var agents: [SpawnedProcess] = []
    var servers: [SpawnedProcess] = []
    var namespacesMade: [String] = []
    var bridgeMade = false

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var agentBinary: String { packageRoot + "/.build/debug/faultline-agent" }
    static var faultlineBinary: String { packageRoot + "/.build/debug/faultline" }

    var bridge: String { "fl-ce\(tag)b" }
    var controllerAddress: String { "10.78.\(subnet).1" }
    func namespace(_ i: Int) -> String { "fl-ce\(tag)-h\(i)" }
    func address(_ i: Int) -> String { "10.78.\(subnet).\(10 + i)" }
    func agentURL(_ i: Int) -> String { "https://\(address(i)):7433" }
    var pki: String { dir + "/pki" }
    var tls: TLSFiles { TLSFiles(ca: pki + "/ca.pem", certificate: pki + "/controller.pem", key: pki + "/controller-key.pem") }

    private init(hosts: Int) throws {
        tag = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        subnet = Int.random(in: 1...254)
        hostCount = hosts
        var template = Array("/tmp/fl-ce\(tag)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw TestFailure("mkdtemp failed") }
        dir = String(cString: made)
    }

    static func make(hosts: Int = 2) throws -> TestCluster {
        guard FileManager.default.isExecutableFile(atPath: agentBinary) else {
            throw TestFailure("\(agentBinary) is missing: build it first (swift build --product faultline-agent)")
        }
        let c = try TestCluster(hosts: hosts)
        do { try c.build() } catch {
            c.destroy()
            throw error
        }
        return c
    }

    private func build() throws {
        try tool(["/usr/sbin/ip", "link", "add", bridge, "type", "bridge"])
        bridgeMade = true
        try tool(["/usr/sbin/ip", "addr", "add", "\(controllerAddress)/24", "dev", bridge])
        try tool(["/usr/sbin/ip", "link", "set", bridge, "up"])
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        let ca = try CertificateAuthority.create(name: "faultline e2e \(tag)", years: 1)
        try CertificateAuthority.pem(ca.certificate).write(toFile: tls.ca, atomically: true, encoding: .utf8)
        let controller = try ca.issue(role: .controller, name: "controller", ipAddresses: [controllerAddress], days: 1)
        try CertificateAuthority.pem(controller.certificate).write(toFile: tls.certificate, atomically: true, encoding: .utf8)
        try CertificateAuthority.pem(controller.key).write(toFile: tls.key, atomically: true, encoding: .utf8)
        for i in 1...hostCount {
            let ns = namespace(i)
            try tool(["/usr/sbin/ip", "netns", "add", ns])
            namespacesMade.append(ns)
            let veth = "fl-ce\(tag)v\(i)"
            try tool(["/usr/sbin/ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
            try tool(["/usr/sbin/ip", "link", "set", veth, "master", bridge])
            try tool(["/usr/sbin/ip", "link", "set", veth, "up"])
            try tool(["/usr/sbin/ip", "-n", ns, "addr", "add", "\(address(i))/24", "dev", "eth0"])
            try tool(["/usr/sbin/ip", "-n", ns, "link", "set", "eth0", "up"])
            try tool(["/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up"])

            let leaf = try ca.issue(role: .agent, name: "h\(i)", dnsNames: [ns], ipAddresses: [address(i)], days: 1)
            try CertificateAuthority.pem(leaf.certificate).write(toFile: pki + "/h\(i).pem", atomically: true, encoding: .utf8)
            try CertificateAuthority.pem(leaf.key).write(toFile: pki + "/h\(i)-key.pem", atomically: true, encoding: .utf8)
            let config = """
            listen: \(address(i)):7433
            host-name: h\(i)
            tls:
              ca: \(tls.ca)
              certificate: \(pki)/h\(i).pem
              key: \(pki)/h\(i)-key.pem
              insecure: false
            ledger: \(dir)/h\(i).ledger
            controllers:
              - \(controllerAddress)/32
            network-namespace: \(ns)
            policy:
              allowed-kinds: [latency, loss, partition, kill, pause]
              max-concurrent-faults: 16
              max-lease-seconds: 600
              interfaces: []
              process-names: [python3]
              allow-host-clock: false
            """
            try config.write(toFile: "\(dir)/h\(i).yaml", atomically: true, encoding: .utf8)
            agents.append(try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", ns, Self.agentBinary, "--config", "\(dir)/h\(i).yaml"],
                                           logPath: "\(dir)/agent-h\(i).log"))
            let www = "\(dir)/www\(i)"
            try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
            try "faultline-e2e h\(i)\n".write(toFile: www + "/index.html", atomically: true, encoding: .utf8)
            servers.append(try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", ns, "/usr/bin/env", "python3", "-m", "http.server", "8000",
                                             "--bind", address(i), "--directory", www], logPath: "\(dir)/http-h\(i).log"))
        }
        for i in 1...hostCount { try waitForAgent(i) }
        for i in 1...hostCount { try waitForServer(i) }
    }

    /// Kills host I's agent with SIGKILL (it reverts nothing: its faults stay in the
    /// kernel and in its ledger) and starts it again with the same configuration; answers
    /// once the new one answers. The new process is in `agents`, so `destroy()` stops it.
    func restartAgent(_ i: Int) throws {
        agents[i - 1].kill()
        _ = agents[i - 1].waitForExit(seconds: 5)
        agents.append(agents[i - 1])  // still stopped by destroy() (already dead)
        agents[i - 1] = try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", namespace(i), Self.agentBinary, "--config", "\(dir)/h\(i).yaml"],
                                           logPath: "\(dir)/agent-h\(i)-restarted.log")
        try waitForAgent(i)
    }

    func clients(timeout: TimeSpan = .seconds(5)) throws -> [String: any AgentClient] {
        try AgentDirectory.clients(for: inventory.hosts, credentials: .init(tls: tls, bearerToken: nil), timeout: timeout)
    }

    var inventory: Inventory {
        Inventory(hosts: (1...hostCount).map { Host(name: "h\($0)", address: address($0), agent: agentURL($0), labels: ["role": "web"]) })
    }

    /// The plan's `inventory:` block for these hosts.
    var inventoryYAML: String {
        "inventory:\n  hosts:\n" + (1...hostCount).map {
            "    - { name: h\($0), address: \(address($0)), agent: \"\(agentURL($0))\", labels: { role: web } }"
        }.joined(separator: "\n") + "\n"
    }

    private func waitForAgent(_ i: Int) throws {
        let client = try clients()["h\(i)"]!
        let deadline = Date().addingTimeInterval(15)
        var last = ""
        while Date() < deadline {
            if agents[i - 1].waitForExit(seconds: 0) != nil { throw TestFailure("agent h\(i) exited: \(agents[i - 1].logTail())") }
            let ok = Self.block { () -> String? in
                do { _ = try await client.health(); return nil } catch { return "\(error)" }
            }
            if ok == nil { return }
            last = ok!
            usleep(100_000)
        }
        throw TestFailure("agent h\(i) did not answer within 15 s: \(last)\n\(agents[i - 1].logTail())")
    }

    private func waitForServer(_ i: Int) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? tool(["/usr/bin/curl", "-s", "-m", "1", "http://\(address(i)):8000/"]))?.contains("faultline-e2e") == true { return }
            usleep(100_000)
        }
        throw TestFailure("http server on h\(i) did not answer: \(servers[i - 1].logTail())")
    }

    /// Whether h`from` can fetch h`to`'s page right now (real traffic between the namespaces).
    func canFetch(from: Int, to: Int, timeout: Double = 0.5) -> Bool {
        (try? tool(["/usr/sbin/ip", "netns", "exec", namespace(from), "/usr/bin/curl", "-s", "-m", String(timeout),
                    "http://\(address(to)):8000/"]))?.contains("faultline-e2e") == true
    }

    /// What a revert must leave exactly as it was: nftables ruleset and qdiscs in each namespace.
    func kernelState() -> String {
        (1...hostCount).map { i in
            let ns = namespace(i)
            let nft = (try? tool(["/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/nft", "list", "ruleset"])) ?? "?"
            let tc = (try? tool(["/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/tc", "qdisc", "show"])) ?? "?"
            return "h\(i):\n\(nft)\(tc)"
        }.joined(separator: "\n")
    }

    /// Tables Faultline's agents made in host I's namespace (empty when nothing is applied).
    func nftTables(_ i: Int) -> String {
        (try? tool(["/usr/sbin/ip", "netns", "exec", namespace(i), "/usr/sbin/nft", "list", "tables"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }

    func logs() -> String {
        (agents + servers).map { "== \($0.logPath)\n\($0.logTail(800))" }.joined(separator: "\n")
    }

    func destroy() {
        // Agents get SIGTERM first (they revert everything on it), then SIGKILL.
        for a in agents { a.signal(SIGTERM) }
        for a in agents where a.waitForExit(seconds: 3) == nil { a.kill() }
        for s in servers { s.kill() }
        for ns in namespacesMade { _ = try? tool(["/usr/sbin/ip", "netns", "delete", ns]) }
        if bridgeMade { _ = try? tool(["/usr/sbin/ip", "link", "delete", bridge]) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs async work from synchronous setup code.
    static func block<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = BlockBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task { box.value = await body(); done.signal() }
        done.wait()
        return box.value!
    }
}

final class BlockBox<T>: @unchecked Sendable { var value: T? }
