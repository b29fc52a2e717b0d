import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation
import NIOSSL

/// One `faultline-agent` per lab host, run inside the host's namespace with the lab's
/// certificates, so the controller drives lab hosts exactly as it drives real ones.
public enum LabAgents {
    /// Process names the lab's agents may kill, pause or skew: the services the lab runs.
    /// Not "any": the agent itself and `ip` live in the same namespace.
    static let processNames = ["etcd", "redis-server", "redis-sentinel", "haproxy", LabHAProxy.backendProcessName]

    static func configPath(_ labDirectory: String, host: String) -> String { labDirectory + "/agents/\(host).yaml" }
    static func ledgerPath(_ labDirectory: String, host: String) -> String { labDirectory + "/agents/\(host).ledger" }
    static func logPath(_ labDirectory: String, host: String) -> String { labDirectory + "/logs/agent-\(host).log" }

    /// `faultline-agent` beside the running `faultline` (both are products of one build),
    /// or `FAULTLINE_AGENT` when set (tests, whose runner lives elsewhere).
    public static func locateBinary(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["FAULTLINE_AGENT"], !path.isEmpty { return Spawn.locate([path]) }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folder = (me as NSString).deletingLastPathComponent
        return Spawn.locate([folder + "/faultline-agent"])
    }

    /// The agent's configuration (the format of Agents/agent.yaml), every path inside the lab's folder.
    static func config(host index: Int, addressing a: LabAddressing, labDirectory: String, faultline: String?,
                       service: LabService = .etcd) -> String {
        let host = a.hostName(index)
        let tls = LabPKI.agentFiles(labDirectory, host: host)
        var restart = "restart: {}"
        if let faultline {
            // The agent may restart a killed service process through the lab itself, never by a shell line.
            let programs = service == .redis ? ["redis-server", "redis-sentinel"]
                : service == .haproxy ? ["haproxy", LabHAProxy.backendProcessName] : ["etcd"]
            let argv = [faultline, "lab", "restart", "--service", service == .noService ? "etcd" : service.rawValue, "--host", host, "--dir", labDirectory]
            restart = "restart:" + programs.map { "\n  \($0): [\(argv.map(quoted).joined(separator: ", "))]" }.joined()
        }
        return """
        # Written by `faultline lab up` for host \(host) of lab '\(a.name)'; removed by `faultline lab down`.
        listen: \(a.address(ofHost: index)):\(LabInventory.agentPort)
        host-name: \(host)
        tls:
          ca: \(quoted(tls.ca))
          certificate: \(quoted(tls.certificate))
          key: \(quoted(tls.key))
          insecure: false
          bearer-token: null
        ledger: \(quoted(ledgerPath(labDirectory, host: host)))
        # The bridge's address: the controller runs in the root namespace and reaches the host through it.
        controllers:
          - \(a.bridgeAddress)/32
        network-namespace: \(a.namespace(ofHost: index))
        \(restart)
        policy:
          allowed-kinds: [latency, loss, duplicate, corrupt, reorder, bandwidth, partition, kill, pause, clock]
          max-concurrent-faults: 16
          max-lease-seconds: 600
          interfaces: []
          process-names: [\(processNames.joined(separator: ", "))]
          # The lab shares this machine's clock: never step it.
          allow-host-clock: false

        """
    }

    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Answers the agent's `/v1/health` over mutual TLS with the controller's certificate.
    public static func health(host: Int, addressing a: LabAddressing, labDirectory: String, timeout: TimeInterval = 2) async throws -> AgentHealth {
        try await health(name: a.hostName(host), address: a.address(ofHost: host), labDirectory: labDirectory, timeout: timeout)
    }

    /// The same for any lab host (namespace or guest) by name and address.
    public static func health(name: String, address: String, labDirectory: String, timeout: TimeInterval = 2) async throws -> AgentHealth {
        let context = try LabPKI.controllerFiles(labDirectory).clientContext()
        let client = HTTPAgentClient(endpoint: AgentEndpoint(name: name, address: address, port: LabInventory.agentPort),
                                     security: .mutualTLS(context), timeout: .milliseconds(Int64(timeout * 1000)))
        defer { client.close() }
        return try await client.health()
    }
}
