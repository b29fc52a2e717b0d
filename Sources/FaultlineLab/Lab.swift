import FaultlinePlan
import Foundation

/// The local lab: hosts as network namespaces on a bridge, an agent in each, and a real
/// service to break. `up`, `down`, `status` and `restart` are the whole interface.
///
/// Every object is written to `state.json` before it is created, and every name starts
/// with `fl-NAME-`, so `down` removes exactly what `up` made, even after a crash.
public enum Lab {
    /// What `up` made and how long it took.
    public struct Summary: Sendable {
        public var state: LabState
        public var inventory: Inventory
        public var inventoryPath: String
        public var seconds: TimeInterval
    }

    /// Builds the lab. On any failure everything already made is removed again before
    /// the error is thrown; on bad input (or a lab already up) nothing is touched.
    public static func up(_ options: LabOptions, progress: @Sendable (String) -> Void = { _ in }) async throws -> Summary {
        let started = Date()
        try options.validate()
        let a = options.addressing, dir = options.directory
        if let existing = try? LabState.load(directory: dir) {
            throw LabError.invalid("a lab is already up in \(dir) (lab '\(existing.name)', \(existing.hosts) hosts); see `faultline lab status`, remove it with `faultline lab down`")
        }
        try checkNothingLeft(a)

        try LabFiles.makeDirectory(dir)
        let lock = try LabLock(directory: dir)
        defer { lock.release() }
        // Re-checked under the lock: another `up` may have won the race to the folder.
        if FileManager.default.fileExists(atPath: LabState.path(in: dir)) {
            throw LabError.invalid("a lab is already up in \(dir); see `faultline lab status`")
        }
        var state = LabState(name: a.name, subnetIndex: a.subnetIndex, directory: dir, hosts: options.hosts, service: options.service.rawValue)
        do {
            try state.save()
            for sub in ["logs", "agents", "etcd"] { try LabFiles.makeDirectory(dir + "/" + sub) }

            progress("network: bridge \(a.bridge) \(a.bridgeAddress)/24, \(options.hosts) namespaces")
            state.bridge = a.bridge
            try state.save()
            try LabNetwork.createBridge(a)
            for i in 1...options.hosts {
                state.namespaces.append(a.namespace(ofHost: i))
                state.links.append(a.vethName(ofHost: i))
                try state.save()
                try LabNetwork.createNamespace(a.namespace(ofHost: i))
                try LabNetwork.connect(host: i, a)
            }

            try LabPKI.create(dir, addressing: a, hosts: options.hosts, guests: options.guests)

            if options.agents {
                let binary = options.agentBinary ?? LabAgents.locateBinary()!
                progress("agents: \(binary)")
                for i in 1...options.hosts {
                    let host = a.hostName(i)
                    try LabFiles.write(LabAgents.config(host: i, addressing: a, labDirectory: dir, faultline: options.faultlineBinary,
                                                        service: options.service),
                                       to: LabAgents.configPath(dir, host: host))
                    let argv = LabNetwork.inNamespace(a.namespace(ofHost: i), [binary, "--config", LabAgents.configPath(dir, host: host)])
                    try start(role: "agent", host: host, argv: argv, log: LabAgents.logPath(dir, host: host), state: &state)
                }
                for i in 1...options.hosts { try await waitForAgent(host: i, options: options, state: state) }
            }

            if options.guests > 0 {
                state.guests = options.guests
                try state.save()
                try await LabGuests.start(options: options, state: &state, progress: progress)
            }

            switch options.service {
            case .etcd:
                progress("etcd: \(options.hosts) members")
                for i in 1...options.hosts {
                    let argv = LabEtcd.argv(host: i, hosts: options.hosts, addressing: a, labDirectory: dir, existing: false)
                    try start(role: "etcd", host: a.hostName(i), argv: LabNetwork.inNamespace(a.namespace(ofHost: i), argv),
                              log: LabEtcd.logPath(dir, host: a.hostName(i)), state: &state)
                }
                for i in 1...options.hosts { try await waitForEtcd(host: i, options: options) }
            case .redis:
                progress("redis: primary n1, \(options.hosts - 1) replicas, \(options.hosts) sentinels")
                try await LabRedis.start(options: options, state: &state)
            case .haproxy:
                progress("haproxy: on n1, HTTP backends on n2 to n\(options.hosts)")
                try await LabHAProxy.start(options: options, state: &state)
            case .noService:
                break
            }

            let inventory = a.layout(hosts: options.hosts, service: options.service.rawValue, guests: options.guests)
            let inventoryText = LabInventoryFile.render(inventory, addressing: a, directory: dir)
            try LabFiles.write(inventoryText, to: LabInventoryFile.path(dir))
            state.phase = .up
            try state.save()
            return Summary(state: state, inventory: inventory, inventoryPath: LabInventoryFile.path(dir), seconds: Date().timeIntervalSince(started))
        } catch {
            lock.release()
            _ = try? down(addressing: a, directory: dir)
            throw error
        }
    }

    /// Refuses to build over another lab's objects or subnet.
    static func checkNothingLeft(_ a: LabAddressing) throws {
        let namespaces = try LabNetwork.namespaces(prefix: a.prefix)
        let links = try LabNetwork.links(prefix: a.prefix)
        if !(namespaces + links).isEmpty {
            throw LabError.invalid("objects of a lab named '\(a.name)' exist already (\((namespaces + links).joined(separator: ", "))); run `faultline lab down --name \(a.name)` first")
        }
        let used = try LabNetwork.addressesInSubnet(a)
        if !used.isEmpty {
            throw LabError.invalid("subnet \(a.subnet) is in use on this machine (\(used.joined(separator: ", "))); choose another with --subnet 10.77.N.0/24")
        }
    }

    /// Records the process's role and host, starts it detached, records its pid and start
    /// time. A crash between spawn and record leaves a process `down` still finds: every
    /// lab process names the lab's folder in its arguments.
    static func start(role: String, host: String, argv: [String], log: String, state: inout LabState) throws {
        let pid = try Spawn.detached(argv, log: log)
        // The start time appears once the child exists; it always does after posix_spawn returns.
        let startTime = LabProcesses.startTime(pid) ?? 0
        state.processes.removeAll { $0.role == role && $0.host == host }
        state.processes.append(LabState.Process(role: role, host: host, pid: pid, startTime: startTime, marker: state.directory + "/"))
        try state.save()
    }

    static func waitForAgent(host i: Int, options: LabOptions, state: LabState) async throws {
        let a = options.addressing, host = a.hostName(i)
        try await waitForAgent(name: host, address: a.address(ofHost: i), process: (role: "agent", exited: "the agent on \(host) exited"),
                               labDirectory: options.directory, within: options.readyTimeout, every: .milliseconds(100), state: state) {
            LabFiles.tail(LabAgents.logPath(options.directory, host: host))
        }
    }

    /// Polls a lab host's agent (namespace or guest) until `/v1/health` answers; fails at
    /// once when the process that carries it (`process.role` on the host) has exited.
    static func waitForAgent(name: String, address: String, process: (role: String, exited: String), labDirectory: String,
                             within seconds: TimeInterval, every interval: Duration, state: LabState,
                             log: () -> String) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var lastError = ""
        while Date() < deadline {
            do {
                _ = try await LabAgents.health(name: name, address: address, labDirectory: labDirectory, timeout: 1)
                return
            } catch { lastError = "\(error)" }
            if let p = state.processes.first(where: { $0.role == process.role && $0.host == name }), !LabProcesses.isRunning(p) {
                throw LabError.notReady(what: process.exited, log: log())
            }
            try await Task.sleep(for: interval)
        }
        throw LabError.notReady(what: "the agent on \(name) did not answer /v1/health within \(Int(seconds)) s (\(lastError))", log: log())
    }

    static func waitForEtcd(host i: Int, options: LabOptions) async throws {
        let a = options.addressing
        let deadline = Date().addingTimeInterval(options.readyTimeout)
        while Date() < deadline {
            if LabEtcd.isHealthy(address: a.address(ofHost: i), timeout: 1) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError.notReady(what: "etcd on \(a.hostName(i)) was not healthy within \(Int(options.readyTimeout)) s",
                                log: LabFiles.tail(LabEtcd.logPath(options.directory, host: a.hostName(i))))
    }
}
