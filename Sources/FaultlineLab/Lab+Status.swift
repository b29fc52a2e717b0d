import FaultlinePlan
import Foundation

extension Lab {
    /// One host as `lab status` sees it.
    public struct HostStatus: Sendable {
        public var name: String
        public var address: String
        public var namespaceExists: Bool
        /// nil when the lab has no agents; otherwise "ok" or why not.
        public var agent: String?
        /// The service's health on this host ("healthy, leader", "not running", ...).
        public var service: String?
        public var healthy: Bool
    }

    public struct Status: Sendable, CustomStringConvertible {
        public var state: LabState
        public var hosts: [HostStatus]
        public var isHealthy: Bool { hosts.allSatisfy(\.healthy) }

        public var description: String {
            var text = "lab '\(state.name)' \(state.phase == .up ? "up" : "PARTLY BUILT (run `faultline lab down`)") since \(state.startedAt.formatted(.iso8601)): "
            text += "\(state.hosts) hosts on 10.77.\(state.subnetIndex).0/24, service \(state.service), folder \(state.directory)\n"
            let width = max(4, hosts.map(\.name.count).max() ?? 0)
            for h in hosts {
                var line = h.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + h.address.padding(toLength: 12, withPad: " ", startingAt: 0)
                line += h.namespaceExists ? "  namespace ok" : "  namespace MISSING"
                if let agent = h.agent { line += "  agent \(agent)" }
                if let service = h.service { line += "  \(state.service) \(service)" }
                text += line + "\n"
            }
            text += isHealthy ? "all healthy\n" : "NOT healthy\n"
            return text
        }
    }

    /// Reads the lab's state and asks every host: namespace present, agent answering
    /// `/v1/health` over mutual TLS, service healthy (etcd: `/health` and who leads).
    public static func status(directory: String) async throws -> Status {
        guard let state = try LabState.load(directory: directory) else {
            throw LabError.invalid("no lab is up in \(directory) (start one with `faultline lab up`)")
        }
        let addressing = try state.addressing()
        let namespaces = Set(try LabNetwork.namespaces(prefix: addressing.prefix))
        let hasAgents = state.processes.contains { $0.role == "agent" }
        var hosts: [HostStatus] = []
        var etcdIDs: [UInt64: String] = [:]
        var etcdStatus: [Int: LabEtcd.MemberStatus] = [:]
        if state.service == LabService.etcd.rawValue {
            for i in 1...state.hosts {
                if let s = try? LabEtcd.status(address: addressing.address(ofHost: i)) {
                    etcdStatus[i] = s; etcdIDs[s.memberID] = addressing.hostName(i)
                }
            }
        }
        for i in 1...state.hosts {
            let name = addressing.hostName(i)
            var h = HostStatus(name: name, address: addressing.address(ofHost: i),
                               namespaceExists: namespaces.contains(addressing.namespace(ofHost: i)), agent: nil, service: nil, healthy: true)
            h.healthy = h.namespaceExists
            if hasAgents {
                do {
                    let health = try await LabAgents.health(host: i, addressing: addressing, labDirectory: directory, timeout: 2)
                    h.agent = "ok (\(health.host ?? name), \(health.faults) faults)"
                } catch {
                    h.agent = "UNREACHABLE (\(error))"; h.healthy = false
                }
            }
            switch LabService(rawValue: state.service) {
            case .etcd:
                let running = state.processes.first { $0.role == "etcd" && $0.host == name }.map(LabProcesses.isRunning) ?? false
                if !running {
                    h.service = "NOT RUNNING"; h.healthy = false
                } else if LabEtcd.isHealthy(address: h.address), let s = etcdStatus[i] {
                    h.service = s.isLeader ? "healthy, leader (term \(s.raftTerm))" : "healthy, follows \(etcdIDs[s.leaderID] ?? "?")"
                } else {
                    h.service = "UNHEALTHY"; h.healthy = false
                }
            case .redis:
                let (text, ok) = LabRedis.describe(host: i, addressing: addressing, state: state)
                h.service = text; h.healthy = h.healthy && ok
            case .haproxy:
                let (text, ok) = LabHAProxy.describe(host: i, addressing: addressing, state: state)
                h.service = text; h.healthy = h.healthy && ok
            case .noService, nil:
                break
            }
            hosts.append(h)
        }
        return Status(state: state, hosts: hosts)
    }
}
