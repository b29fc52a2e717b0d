import FaultlinePlan
import Foundation

/// Which service `lab up` runs on the hosts.
public enum LabService: String, Sendable, CaseIterable, Codable {
    case etcd, redis
    /// HAProxy on n1 in front of HTTP backends on the other hosts (LabHAProxy).
    case haproxy
    /// Hosts and agents only.
    case noService = "none"
}

/// What `faultline lab up` builds, checked before anything is touched.
public struct LabOptions: Sendable {
    public var addressing: LabAddressing
    /// The lab's folder: state, certificates, configs, data, logs, inventory.
    public var directory: String
    public var hosts: Int
    public var service: LabService
    /// Start a `faultline-agent` per host (plans need them to inject faults).
    public var agents: Bool
    /// The agent binary; nil = locate it beside `faultline`.
    public var agentBinary: String?
    /// The `faultline` binary agents call to restart a killed service; nil = none.
    public var faultlineBinary: String?
    /// How long each agent and the service get to become ready.
    public var readyTimeout: TimeInterval
    /// QEMU guests (stock kernel with netem, a clock of their own) beside the namespace hosts.
    public var guests: Int = 0

    public init(addressing: LabAddressing = .standard, directory: String, hosts: Int = 3, service: LabService = .etcd,
                agents: Bool = true, agentBinary: String? = nil, faultlineBinary: String? = nil, readyTimeout: TimeInterval = 30) {
        self.addressing = addressing; self.directory = directory; self.hosts = hosts; self.service = service
        self.agents = agents; self.agentBinary = agentBinary; self.faultlineBinary = faultlineBinary; self.readyTimeout = readyTimeout
    }

    /// The folder a lab uses when none is given: `FAULTLINE_LAB_DIR` or /run/faultline/lab
    /// for the default lab, /run/faultline/NAME for others.
    public static func defaultDirectory(for addressing: LabAddressing, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if addressing.name == LabAddressing.standard.name { return LabInventory.directory(environment: environment) }
        return "/run/faultline/\(addressing.name)"
    }

    /// Checks what can be checked without changing anything.
    func validate() throws {
        guard (1...LabAddressing.maximumHosts).contains(hosts) else {
            throw LabError.invalid("--hosts \(hosts): expected 1 to \(LabAddressing.maximumHosts)")
        }
        switch service {
        case .etcd where ![3, 5].contains(hosts):
            throw LabError.invalid("--service etcd needs --hosts 3 or 5 (an odd-sized Raft cluster with a majority that survives one or two failures), not \(hosts)")
        case .redis where hosts < 3:
            throw LabError.invalid("--service redis needs --hosts 3 or more (a primary, replicas and a sentinel quorum), not \(hosts)")
        case .haproxy where hosts < 3:
            throw LabError.invalid("--service haproxy needs --hosts 3 or more (HAProxy on n1 and at least two backends to balance between), not \(hosts)")
        default: break
        }
        guard (0...LabAddressing.maximumGuests).contains(guests) else {
            throw LabError.invalid("--guests \(guests): expected 0 to \(LabAddressing.maximumGuests)")
        }
        if guests > 0 {
            guard agents else { throw LabError.invalid("--guests needs agents: a guest is reached only through its agent") }
            let tools = [GuestMachine.qemu, GuestImage.busybox, GuestImage.strip, GuestKernel.depmod, "/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/sbin/tc"]
            if let missing = tools.first(where: { Spawn.locate([$0]) == nil }) {
                throw LabError.unsupported("\(missing) is missing (Debian packages qemu-system-x86, busybox-static, binutils, kmod, iproute2; `make deps` installs them)")
            }
        }
        guard directory.hasPrefix("/"), directory.count > 1 else {
            throw LabError.invalid("lab folder '\(directory)': expected an absolute path")
        }
        guard Spawn.locate([LabNetwork.ip]) != nil else { throw LabError.unsupported("\(LabNetwork.ip) is missing (Debian package iproute2)") }
        if service == .etcd, Spawn.locate([LabEtcd.binary]) == nil {
            throw LabError.unsupported("\(LabEtcd.binary) is missing (Debian package etcd-server; `make deps` installs it)")
        }
        if service == .redis, Spawn.locate([LabRedis.server]) == nil {
            throw LabError.unsupported("\(LabRedis.server) is missing (Debian package redis-server; `make deps` installs it)")
        }
        if service == .redis, Spawn.locate([LabRedis.sentinel]) == nil {
            throw LabError.unsupported("\(LabRedis.sentinel) is missing (Debian package redis-sentinel; `make deps` installs it)")
        }
        if service == .haproxy, let missing = [LabHAProxy.binary, LabHAProxy.python].first(where: { Spawn.locate([$0]) == nil }) {
            throw LabError.unsupported("\(missing) is missing (Debian packages haproxy and python3; `make deps` installs them)")
        }
        if agents {
            guard let binary = agentBinary ?? LabAgents.locateBinary(), Spawn.locate([binary]) != nil else {
                throw LabError.unsupported("faultline-agent not found beside faultline (build it: swift build --product faultline-agent), or set FAULTLINE_AGENT")
            }
        }
    }
}
