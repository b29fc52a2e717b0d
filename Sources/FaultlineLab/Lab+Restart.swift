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
        // etcd: one member per host.
        var lines: [String] = []
        var restarted: [Int] = []
        for i in indices {
            let name = a.hostName(i)
            if let p = state.processes.first(where: { $0.role == "etcd" && $0.host == name }), LabProcesses.isRunning(p) {
                lines.append("\(name): etcd running (pid \(p.pid))")
                continue
            }
            let argv = LabEtcd.argv(host: i, hosts: state.hosts, addressing: a, labDirectory: directory, existing: true)
            try start(role: "etcd", host: name, argv: LabNetwork.inNamespace(a.namespace(ofHost: i), argv),
                      log: LabEtcd.logPath(directory, host: name), state: &state)
            restarted.append(i)
        }
        let options = LabOptions(addressing: a, directory: directory, hosts: state.hosts, service: service, readyTimeout: readyTimeout)
        for i in restarted {
            try await waitForEtcd(host: i, options: options)
            let pid = state.processes.first { $0.host == a.hostName(i) && $0.role == "etcd" }?.pid ?? 0
            lines.append("\(a.hostName(i)): etcd restarted (pid \(pid))")
        }
        return lines
    }
}
