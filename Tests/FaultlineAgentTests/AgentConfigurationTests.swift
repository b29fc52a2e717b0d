import FaultlineAgent
import FaultlineCore
import Foundation
import Testing

/// The agent's config file: the shipped examples parse, and every mistake is named.
struct AgentConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func shippedExampleParses() throws {
        let config = try AgentConfiguration.load(path: Self.root.appendingPathComponent("Agents/agent.yaml").path)
        #expect(config.listenPort == 7433)
        #expect(config.tls?.ca == "/etc/faultline/ca.pem")
        #expect(config.controllers == ["10.0.0.5/32"])
        #expect(config.policy.processNames == ["etcd"])
        #expect(!config.policy.allowHostClock)
    }

    @Test func daemonSetConfigMapParses() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Agents/kubernetes/daemonset.yaml"), encoding: .utf8)
        // The ConfigMap's agent.yaml block: the indented lines after `agent.yaml: |`.
        let lines = manifest.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains("agent.yaml: |") })
        let block = lines[(start + 1)...].prefix { $0.hasPrefix("    ") || $0.isEmpty }.map { String($0.dropFirst(4)) }
        let config = try AgentConfiguration.parse(block.joined(separator: "\n"), file: "daemonset.yaml")
        #expect(config.tls?.certificate == "/etc/faultline/tls.crt")
        #expect(config.controllers == ["10.0.0.0/8"])
    }

    @Test(arguments: [
        ("tls: { insecure: true }\npolcy: {}", "polcy: unknown field"),
        ("listen: 7433\ntls: { insecure: true }", "listen: expected ADDRESS:PORT"),
        ("listen: 0.0.0.0:70000\ntls: { insecure: true }", "listen: expected ADDRESS:PORT"),
        ("ledger: relative.jsonl\ntls: { insecure: true }", "ledger: expected an absolute path"),
        ("tls: { ca: /a.pem }", "tls: mutual TLS needs ca, certificate and key"),
        ("controllers: [not-an-address]\ntls: { insecure: true }", "controllers[0]: expected an address or CIDR"),
        ("restart: { etcd: \"systemctl restart etcd\" }\ntls: { insecure: true }", "restart.etcd: expected an argv list"),
        ("restart: { etcd: [systemctl, restart] }\ntls: { insecure: true }", "starting with an absolute path"),
        ("tls: { insecure: true, bearer-token: short }", "at least 16 characters"),
        ("tls: { insecure: true }\npolicy: { max-leases: 3 }", "policy.max-leases: unknown field"),
        ("tls: { insecure: true }\npolicy: { allowed-kinds: [teleport] }", "policy:"),
        ("listen: 0.0.0.0:7433", "tls: missing; mutual TLS is the default"),
        ("", "the file is empty"),
        ("- a\n- b", "expected a mapping at the top level"),
        ("tls: {", "not valid YAML"),
    ])
    func mistakesAreNamed(text: String, expected: String) {
        #expect(throws: AgentConfiguration.ConfigError.self) { _ = try AgentConfiguration.parse(text, file: "agent.yaml") }
        do {
            _ = try AgentConfiguration.parse(text, file: "agent.yaml")
        } catch {
            #expect(error.description.hasPrefix("agent.yaml: "), "\(error)")
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    /// The deny list `faultline certs revoke` writes lives beside the CA; the config may name another.
    @Test func denyListDefaultsBesideTheCA() throws {
        let beside = try AgentConfiguration.parse("tls: { ca: /etc/fl/pki/ca.pem, certificate: /etc/fl/a.pem, key: /etc/fl/a-key.pem }", file: "a.yaml")
        #expect(beside.denyList == "/etc/fl/pki/revoked-serials")
        let named = try AgentConfiguration.parse("tls: { ca: /etc/fl/ca.pem, certificate: /a.pem, key: /k.pem, deny-list: /var/lib/fl/revoked }", file: "a.yaml")
        #expect(named.denyList == "/var/lib/fl/revoked")
        #expect(throws: AgentConfiguration.ConfigError.self) {
            try AgentConfiguration.parse("tls: { ca: /ca.pem, certificate: /a.pem, key: /k.pem, deny-list: relative }", file: "a.yaml")
        }
        #expect(try AgentConfiguration.parse("tls: { insecure: true }", file: "a.yaml").denyList == nil)
    }

    @Test func insecureLabConfig() throws {
        let config = try AgentConfiguration.parse("""
            listen: 127.0.0.1:9000
            tls: { insecure: true, bearer-token: 0123456789abcdef }
            network-namespace: fl-lab-n1
            restart: { etcd: [/usr/bin/systemctl, restart, etcd] }
            policy: { allowed-kinds: [partition], max-lease-seconds: 30 }
            """, file: "lab.yaml")
        #expect(config.tls == nil && config.bearerToken == "0123456789abcdef")
        #expect(config.networkNamespace == "fl-lab-n1")
        #expect(config.restart["etcd"] == ["/usr/bin/systemctl", "restart", "etcd"])
        #expect(config.policy.allowedKinds == [.partition] && config.policy.maxLeaseSeconds == 30)
    }
}
