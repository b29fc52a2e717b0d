import FaultlinePlan
import Foundation

/// Redis with a primary (n1), replicas (the other hosts) and a Sentinel on every host
/// (quorum: a majority) that promotes a replica when the primary is cut off.
///
/// Debian's `redis-server` and `redis-sentinel`, each started inside its host's namespace
/// and listening on the host's address only; configs, data and Sentinel's state live in
/// `redis/nI/` of the lab's folder (see LabRedisConfig), logs in `logs/`.
public enum LabRedis {
    public static let server = "/usr/bin/redis-server"
    public static let sentinel = "/usr/bin/redis-sentinel"
    public static let port = 6379
    public static let sentinelPort = 26379

    /// Roles of the processes in `LabState` (the agent's restart command keys them by
    /// their program names, `redis-server` and `redis-sentinel`).
    static let serverRole = "redis"
    static let sentinelRole = "sentinel"

    static func hostDirectory(_ labDirectory: String, host: String) -> String { labDirectory + "/redis/\(host)" }
    static func serverConfigPath(_ labDirectory: String, host: String) -> String { hostDirectory(labDirectory, host: host) + "/redis.conf" }
    static func sentinelConfigPath(_ labDirectory: String, host: String) -> String { hostDirectory(labDirectory, host: host) + "/sentinel.conf" }
    static func logPath(_ labDirectory: String, host: String, role: String) -> String {
        labDirectory + "/logs/\(role == sentinelRole ? "sentinel" : "redis")-\(host).log"
    }

    /// Writes every host's configs, starts the servers (n1 primary), waits until every
    /// replica's link is up, then starts the Sentinels and waits until each one knows
    /// every replica and every other Sentinel: only then can a failover happen.
    static func start(options: LabOptions, state: inout LabState) async throws {
        let a = options.addressing, dir = options.directory, hosts = options.hosts
        let primary = a.address(ofHost: 1)
        try LabFiles.makeDirectory(dir + "/redis")
        for i in 1...hosts {
            let host = a.hostName(i), folder = hostDirectory(dir, host: host)
            try LabFiles.makeDirectory(folder)
            try LabFiles.write(LabRedisConfig.server(address: a.address(ofHost: i), directory: folder, primaryAddress: i == 1 ? nil : primary),
                               to: serverConfigPath(dir, host: host), mode: 0o600)
            try LabFiles.write(LabRedisConfig.sentinel(address: a.address(ofHost: i), directory: folder, primaryAddress: primary, hosts: hosts),
                               to: sentinelConfigPath(dir, host: host), mode: 0o600)
        }
        for i in 1...hosts { try startProcess(role: serverRole, host: i, addressing: a, directory: dir, replicaOf: nil, state: &state) }
        for i in 1...hosts {
            try await waitUntil("redis-server on \(a.hostName(i)) did not replicate from n1", host: i, role: serverRole, options: options, state: state) {
                let r = try LabRedisQuery.replication(address: a.address(ofHost: i))
                return i == 1 ? r.isPrimary : (r.primaryAddress == primary && r.linkUp)
            }
        }
        for i in 1...hosts { try startProcess(role: sentinelRole, host: i, addressing: a, directory: dir, replicaOf: nil, state: &state) }
        for i in 1...hosts {
            try await waitUntil("the Sentinel on \(a.hostName(i)) did not find every replica and Sentinel", host: i, role: sentinelRole, options: options, state: state) {
                let v = try LabRedisQuery.sentinelView(address: a.address(ofHost: i))
                return v.primaryAddress == primary && v.replicas == hosts - 1 && v.otherSentinels == hosts - 1
            }
        }
    }

    /// Starts again the servers and Sentinels on `indices` that are not running. A server
    /// whose host is no longer the primary by the Sentinels' word comes back as a replica of
    /// the one they name (its config may predate the failover: it was killed before Sentinel
    /// could rewrite it). Answers one line per process.
    static func restart(indices: [Int], state: inout LabState, directory: String, readyTimeout: TimeInterval) async throws -> [String] {
        let a = try state.addressing()
        let options = LabOptions(addressing: a, directory: directory, hosts: state.hosts, service: .redis, readyTimeout: readyTimeout)
        var lines: [String] = []
        for i in indices {
            let name = a.hostName(i)
            for role in [serverRole, sentinelRole] {
                let program = role == serverRole ? "redis-server" : "redis-sentinel"
                if let p = state.processes.first(where: { $0.role == role && $0.host == name }), LabProcesses.isRunning(p) {
                    lines.append("\(name): \(program) running (pid \(p.pid))")
                    continue
                }
                var replicaOf: String?
                if role == serverRole, let current = currentPrimary(state: state, addressing: a, restarting: a.address(ofHost: i)),
                   current != a.address(ofHost: i) {
                    replicaOf = current
                }
                try startProcess(role: role, host: i, addressing: a, directory: directory, replicaOf: replicaOf, state: &state)
                try await waitUntil("\(program) on \(name) did not answer after its restart", host: i, role: role, options: options, state: state) {
                    LabRedisQuery.answers(address: a.address(ofHost: i), port: role == serverRole ? port : sentinelPort)
                }
                let pid = state.processes.first { $0.role == role && $0.host == name }?.pid ?? 0
                let how = replicaOf.map { " as replica of \(hostName(ofAddress: $0, addressing: a, hosts: state.hosts))" } ?? ""
                lines.append("\(name): \(program) restarted (pid \(pid))\(how)")
            }
        }
        return lines
    }

    /// The primary the Sentinels name for a server restarting on `restarting`, or nil when
    /// none answers. Each Sentinel's answer is `get-master-addr-by-name` (it names the
    /// promoted replica as soon as a failover promotes it, before the failover ends); the
    /// newest view wins (the highest config epoch: a Sentinel that has not heard of a
    /// failover still names the old primary), and among equals an answer naming another
    /// host (a failover away from `restarting` that not every Sentinel has finished).
    static func currentPrimary(state: LabState, addressing a: LabAddressing, restarting: String) -> String? {
        let answers: [(epoch: Int, primary: String)] = (1...state.hosts).compactMap { i in
            let address = a.address(ofHost: i)
            guard let primary = try? LabRedisQuery.sentinelPrimary(address: address, timeout: 0.5) else { return nil }
            return ((try? LabRedisQuery.sentinelView(address: address, timeout: 0.5))?.configEpoch ?? 0, primary)
        }
        return answers.max { ($0.epoch, $0.primary != restarting ? 1 : 0) < ($1.epoch, $1.primary != restarting ? 1 : 0) }?.primary
    }

    /// `lab status`'s words for one host: the server's role and link, the Sentinel's view.
    /// Healthy when both run and answer and a replica's link to its primary is up.
    static func describe(host i: Int, addressing a: LabAddressing, state: LabState) -> (String, Bool) {
        let name = a.hostName(i), address = a.address(ofHost: i)
        func running(_ role: String) -> Bool {
            state.processes.first { $0.role == role && $0.host == name }.map(LabProcesses.isRunning) ?? false
        }
        var words: [String] = []
        var healthy = true
        if !running(serverRole) {
            words.append("NOT RUNNING"); healthy = false
        } else if let r = try? LabRedisQuery.replication(address: address) {
            if r.isPrimary {
                words.append("primary, \(r.connectedReplicas) replicas connected")
            } else {
                let of = r.primaryAddress.map { hostName(ofAddress: $0, addressing: a, hosts: state.hosts) } ?? "?"
                words.append("replica of \(of), link \(r.linkUp ? "up" : "DOWN")")
                healthy = r.linkUp
            }
        } else {
            words.append("NOT ANSWERING"); healthy = false
        }
        if !running(sentinelRole) {
            words.append("sentinel NOT RUNNING"); healthy = false
        } else if let v = try? LabRedisQuery.sentinelView(address: address) {
            let flags = v.flags == "master" ? "" : " (\(v.flags))"
            words.append("sentinel: primary \(hostName(ofAddress: v.primaryAddress, addressing: a, hosts: state.hosts))\(flags), \(v.otherSentinels) other sentinels")
        } else {
            words.append("sentinel NOT ANSWERING"); healthy = false
        }
        return (words.joined(separator: "; "), healthy)
    }

    /// "n2" for the lab address of host 2; the address itself when it is no lab host's.
    static func hostName(ofAddress address: String, addressing a: LabAddressing, hosts: Int) -> String {
        (1...max(1, hosts)).first { a.address(ofHost: $0) == address }.map(a.hostName) ?? address
    }

    // MARK: - Processes

    private static func startProcess(role: String, host i: Int, addressing a: LabAddressing, directory: String,
                                     replicaOf: String?, state: inout LabState) throws {
        let name = a.hostName(i)
        var argv = role == serverRole ? [server, serverConfigPath(directory, host: name)] : [sentinel, sentinelConfigPath(directory, host: name)]
        if let replicaOf { argv += ["--replicaof", replicaOf, String(port)] }
        try Lab.start(role: role, host: name, argv: LabNetwork.inNamespace(a.namespace(ofHost: i), argv),
                      log: logPath(directory, host: name, role: role), state: &state)
    }

    /// Polls `ready` every 100 ms until it holds; fails early when the process has exited.
    private static func waitUntil(_ failure: String, host i: Int, role: String, options: LabOptions, state: LabState,
                                  ready: () throws -> Bool) async throws {
        let a = options.addressing, name = a.hostName(i)
        let deadline = Date().addingTimeInterval(options.readyTimeout)
        let log = logPath(options.directory, host: name, role: role)
        var lastError = ""
        while Date() < deadline {
            do { if try ready() { return } } catch { lastError = " (\(error))" }
            if let p = state.processes.first(where: { $0.role == role && $0.host == name }), !LabProcesses.isRunning(p) {
                throw LabError.notReady(what: "\(role == serverRole ? "redis-server" : "redis-sentinel") on \(name) exited", log: LabFiles.tail(log))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError.notReady(what: "\(failure) within \(Int(options.readyTimeout)) s\(lastError)", log: LabFiles.tail(log))
    }
}
