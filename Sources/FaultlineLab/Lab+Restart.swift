import FaultlinePlan
import Foundation

extension Lab {
    /// Starts again the service members that are not running (killed by a plan, crashed),
    /// on every host or on `host` only, and waits until they are healthy. Members that run
    /// are left alone. Answers one line per host.
    public static func restart(service: LabService, host: String?, directory: String,
                               readyTimeout: TimeInterval = 30) async throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory), let _ = try LabState.load(directory: directory) else {
            throw LabError.invalid("no lab is up in \(directory) (start one with `faultline lab up`)")
        }
        let lock = try LabLock(directory: directory)
        defer { lock.release() }
        guard var state = try LabState.load(directory: directory) else { throw LabError.invalid("no lab is up in \(directory)") }
        let a = try state.addressing()
        guard state.service == service.rawValue, service != .noService else {
            throw LabError.invalid("lab '\(state.name)' runs service \(state.service), not \(service.rawValue)")
        }
        let indices = (1...state.hosts).filter { host == nil || a.hostName($0) == host }
        if indices.isEmpty {
            throw LabError.invalid("host '\(host ?? "")': lab '\(state.name)' has hosts n1 to n\(state.hosts)")
        }
        if service == .redis {
            // Two processes per host (server and Sentinel): LabRedis restarts whichever is down.
            return try await LabRedis.restart(indices: indices, state: &state, directory: directory, readyTimeout: readyTimeout)
        }
        if service == .haproxy {
            return try await LabHAProxy.restart(indices: indices, state: &state, directory: directory, readyTimeout: readyTimeout)
        }
        var lines: [String] = []
        var restarted: [Int] = []
        for i in indices {
            let name = a.hostName(i)
            let role = service == .etcd ? "etcd" : "redis"
            if let p = state.processes.first(where: { $0.role == role && $0.host == name }), LabProcesses.isRunning(p) {
                lines.append("\(name): \(service.rawValue) running (pid \(p.pid))")
                continue
            }
            switch service {
            case .etcd:
                let argv = LabEtcd.argv(host: i, hosts: state.hosts, addressing: a, labDirectory: directory, existing: true)
                try start(role: "etcd", host: name, argv: LabNetwork.inNamespace(a.namespace(ofHost: i), argv),
                          log: LabEtcd.logPath(directory, host: name), state: &state)
            case .redis, .haproxy, .noService:
                break
            }
            restarted.append(i)
        }
        let options = LabOptions(addressing: a, directory: directory, hosts: state.hosts, service: service, readyTimeout: readyTimeout)
        for i in restarted {
            if service == .etcd { try await waitForEtcd(host: i, options: options) }
            let pid = state.processes.first { $0.host == a.hostName(i) && $0.role == (service == .etcd ? "etcd" : "redis") }?.pid ?? 0
            lines.append("\(a.hostName(i)): \(service.rawValue) restarted (pid \(pid))")
        }
        return lines
    }
}
