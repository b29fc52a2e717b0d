import FaultlineAgentAPI
import FaultlineCore
import FaultlineNetShims
import FaultlineProcShims
import Foundation

/// The production `FaultInjector`: carries each fault out through FaultlineNetShims and
/// FaultlineProcShims, in the host's network namespace when the host is one.
///
/// State lives in the ledger's undo records, never here, with two exceptions that die
/// with the process and need nothing after a crash: the delay engine's holder threads
/// (its iptables rules bypass the queue when no one listens, and revert removes them) and
/// clock strobe threads (revert puts the vDSO bytes back either way).
public final class ShimInjector: FaultInjector, @unchecked Sendable {
    public struct Configuration: Sendable {
        /// The host is this network namespace (name under /run/netns or a path); nil: the agent's own.
        public var networkNamespace: String?
        /// Controllers' addresses; with `agentPort`, the management channel no fault may touch.
        public var controllers: [String]
        public var agentPort: UInt16
        /// Device for netem and bandwidth faults that name none; nil: discovered.
        public var device: String?
        /// Restart commands by process name (argv, never a shell string).
        public var restart: [String: [String]]
        public var allowHostClock: Bool
        public init(networkNamespace: String? = nil, controllers: [String] = [], agentPort: UInt16, device: String? = nil,
                    restart: [String: [String]] = [:], allowHostClock: Bool = false) {
            self.networkNamespace = networkNamespace; self.controllers = controllers; self.agentPort = agentPort
            self.device = device; self.restart = restart; self.allowHostClock = allowHostClock
        }
    }

    let configuration: Configuration
    private let baseMapping: NetworkFaultMapping
    /// The mapping with this host's latency mechanism, which takes a kernel probe (netem and
    /// an ifb in a scratch namespace). The probe runs once per process on first use, not in
    /// `init`, so the daemon's probes stay beside start-up instead of in front of it.
    var mapping: NetworkFaultMapping {
        var mapping = baseMapping
        mapping.latencyMechanism = Self.latencyMechanism
        return mapping
    }
    private static let latencyMechanism: NetworkFaultMapping.LatencyMechanism =
        NetemShim().ingressAvailability().isAvailable ? .netem : .delayEngine
    let processes: ProcessScope
    let delayEngine = DelayEngineShim()
    private let lock = NSLock()
    private var strobes: [String: [ClockSkewStrobe]] = [:]

    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        let namespace = configuration.networkNamespace.map { $0.hasPrefix("/") ? NetNamespace.path($0) : NetNamespace.named($0) }
        baseMapping = NetworkFaultMapping(namespace: namespace, exemptions: try Self.exemptions(configuration),
                                          defaultDevice: configuration.device ?? DeviceDiscovery.firstNonLoopback(in: namespace))
        processes = ProcessScope(networkNamespace: configuration.networkNamespace)
    }

    /// The management channel: traffic between each controller and the agent's port (or,
    /// with no controller configured, any traffic to or from the agent's port).
    static func exemptions(_ configuration: Configuration) throws -> [ManagementExemption] {
        if configuration.controllers.isEmpty { return [ManagementExemption(address: nil, port: configuration.agentPort)] }
        return try configuration.controllers.map { ManagementExemption(address: try IPNetwork($0), port: configuration.agentPort) }
    }

    // MARK: FaultInjector

    public func undoRecord(id: String, fault: Fault) throws -> Data {
        try undo(id: id, fault: fault).encoded()
    }

    func undo(id: String, fault: Fault) throws -> ShimUndo {
        let faultID = try FaultID(id)
        switch fault {
        case .partition, .loss, .latency, .duplicate, .corrupt, .reorder, .bandwidth:
            switch try mapping.spec(for: fault) {
            case .partition(let spec): return .partition(try PartitionShim().undoRecord(for: faultID, spec: spec))
            case .loss(let spec): return .loss(try LossShim().undoRecord(for: faultID, spec: spec))
            case .delayEngine(let spec): return .delay(try delayEngine.undoRecord(for: faultID, spec: spec))
            case .netem(let spec): return .netem(try NetemShim().undoRecord(for: faultID, spec: spec))
            case .bandwidth(let spec): return .bandwidth(try BandwidthShim().undoRecord(for: faultID, spec: spec))
            }
        case .kill(let k):
            let targets = try processes.resolve(k.process)
            guard !targets.isEmpty else { throw MappingError.refused("no process matches \(k.process) on this host") }
            let names = Array(Set(targets.compactMap { try? ProcFS.comm(of: $0.pid) })).sorted()
            return .kill(try KillFault().prepare(.init(targets: targets, signal: FaultlineProcShims.Signal(k.signal.number))),
                         names: names)
        case .pause(let p):
            let cgroup = try ProcessScope.cgroup(of: p.process)
            if p.mechanism == .freezer || (p.mechanism == .auto && cgroup != nil) {
                guard let cgroup else { throw MappingError.refused("the freezer pauses a cgroup: select the processes by cgroup or systemd unit, or use mechanism sigstop") }
                try processes.checkCgroupInScope(cgroup)
                guard !(try processes.resolve(p.process)).isEmpty else {
                    throw MappingError.refused("no process of \(p.process) is in this agent's scope")
                }
                return .pauseFreezer(try CgroupFreezePause().prepare(.init(cgroup: cgroup)))
            }
            let targets = try processes.resolve(p.process)
            guard !targets.isEmpty else { throw MappingError.refused("no process matches \(p.process) on this host") }
            return .pauseSignal(try SignalPause().prepare(.init(targets: targets)))
        case .clock(let c):
            switch c.scope {
            case .host:
                return .clockHost(try HostClockStep().prepare(.init(offset: c.offset.duration, allowHostClockStep: configuration.allowHostClock)))
            case .process:
                guard let selector = c.process else { throw MappingError.refused("process-scope clock skew needs a process selector") }
                let targets = try processes.resolve(selector)
                guard !targets.isEmpty else { throw MappingError.refused("no process matches \(selector) on this host") }
                let undos = try targets.map { target throws(ProcShimError) in try VDSOClockSkew().prepare(.init(target: target, offset: c.offset.duration)) }
                let strobe = c.strobe.map { ShimUndo.StrobeSpec(first: c.offset.duration, second: $0.offset.duration, interval: $0.every.duration) }
                return .clockProcess(undos, strobe: strobe)
            }
        }
    }

    public func apply(id: String, fault: Fault, undo data: Data) throws {
        let faultID = try FaultID(id)
        let undo = try ShimUndo.decode(data)
        switch (undo, fault) {
        case (.partition, _), (.loss, _), (.delay, _), (.netem, _), (.bandwidth, _):
            switch try mapping.spec(for: fault) {
            case .partition(let spec): try PartitionShim().apply(spec, for: faultID)
            case .loss(let spec): try LossShim().apply(spec, for: faultID)
            case .delayEngine(let spec): try delayEngine.apply(spec, for: faultID)
            case .netem(let spec): try NetemShim().apply(spec, for: faultID)
            case .bandwidth(let spec): try BandwidthShim().apply(spec, for: faultID)
            }
        case (.kill(let u, _), .kill(let k)):
            _ = try KillFault().apply(.init(targets: u.targets, signal: FaultlineProcShims.Signal(k.signal.number)), undo: u)
        case (.pauseSignal(let u), _):
            _ = try SignalPause().apply(.init(targets: u.targets), undo: u)
        case (.pauseFreezer(let u), _):
            _ = try CgroupFreezePause().apply(.init(cgroup: u.cgroup), undo: u)
        case (.clockProcess(let undos, let strobe), .clock(let c)):
            var done: [VDSOClockSkew.Undo] = []
            do {
                for u in undos {
                    _ = try VDSOClockSkew().apply(.init(target: u.target, offset: c.offset.duration), undo: u)
                    done.append(u)
                }
                if let strobe {
                    let started = try undos.map { u throws(ProcShimError) in try ClockSkewStrobe.start(undo: u, offsets: (strobe.first, strobe.second), interval: strobe.interval) }
                    lock.withLock { strobes[Self.strobeKey(undos)] = started }
                }
            } catch {
                for u in done { _ = try? VDSOClockSkew().revert(u) }
                throw error
            }
        case (.clockHost(let u), .clock(let c)):
            _ = try HostClockStep().apply(.init(offset: c.offset.duration, allowHostClockStep: configuration.allowHostClock), undo: u)
        default:
            throw MappingError.refused("ledger record does not match the fault's kind \(fault.kind.rawValue)")
        }
    }

    public func revert(undo data: Data) throws {
        switch try ShimUndo.decode(data).confined(to: mapping.namespace) {
        case .partition(let u): try PartitionShim().revert(u)
        case .loss(let u): try LossShim().revert(u)
        case .delay(let u): try delayEngine.revert(u)
        case .netem(let u): try NetemShim().revert(u)
        case .bandwidth(let u): try BandwidthShim().revert(u)
        case .kill(let u, let names):
            try restartDead(u.targets, restart: configuration.restart.filter { names.contains($0.key) })
        case .pauseSignal(let u): _ = try SignalPause().revert(u)
        case .pauseFreezer(let u): _ = try CgroupFreezePause().revert(u)
        case .clockProcess(let undos, _):
            // Stop flipping the offset before the bytes go back, or a flip could land after.
            let running = lock.withLock { strobes.removeValue(forKey: Self.strobeKey(undos)) } ?? []
            for strobe in running { strobe.stop() }
            var failures: [String] = []
            for u in undos {
                do { _ = try VDSOClockSkew().revert(u) } catch { failures.append("\(error)") }
            }
            if !failures.isEmpty { throw MappingError.refused("clock revert failed: " + failures.joined(separator: "; ")) }
        case .clockHost(let u): _ = try HostClockStep().revert(u)
        }
    }

    /// Strobe threads are found again by the processes they patch (revert has only the undo).
    static func strobeKey(_ undos: [VDSOClockSkew.Undo]) -> String {
        undos.map { "\($0.target.pid):\($0.target.startTime)" }.joined(separator: ",")
    }

    /// Reverting a kill restarts, by the policy's command, each named process that is dead.
    func restartDead(_ targets: [ProcessIdentity], restart: [String: [String]]) throws {
        guard !restart.isEmpty else { return }
        let alive = targets.contains { (try? ProcFS.liveness(of: $0)).map { if case .alive = $0 { true } else { false } } ?? false }
        guard !alive else { return }
        for (_, argv) in restart.sorted(by: { $0.key < $1.key }) {
            try DetachedProcess.spawn(argv, networkNamespace: mapping.namespace)
        }
    }

    /// Network objects with Faultline's marks in this agent's namespace, and only there
    /// (`OrphanSweep`). Process faults leave no kernel object to find: a paused process is
    /// resumed and a clock patch undone only from their records.
    public func sweepOrphans() throws -> [String] {
        try OrphanSweep.run(in: baseMapping.namespace)
    }

    public func unavailability(of kind: FaultKind) -> String? {
        // Read from the kernel only for process kinds: network kinds need no capability report.
        var capabilities: FaultlineProcShims.CapabilityReport { (try? CapabilityReport.current()) ?? CapabilityReport(pid: getpid(), sets: [:]) }
        func net(_ availability: FaultlineNetShims.Availability) -> String? {
            if case .unavailable(let reason) = availability { return reason }
            return nil
        }
        func proc(_ availability: FaultlineProcShims.Availability) -> String? {
            availability.isAvailable ? nil : availability.description
        }
        switch kind {
        case .partition: return net(PartitionShim().availability())
        case .loss: return net(LossShim().availability())
        case .latency where mapping.latencyMechanism == .netem: return nil
        case .latency: return net(delayEngine.availability())
        case .duplicate, .corrupt, .reorder: return net(NetemShim().availability())
        case .bandwidth: return net(BandwidthShim().availability())
        case .kill: return proc(KillFault().availability(capabilities: capabilities))
        case .pause:
            let held = capabilities
            let signal = proc(SignalPause().availability(capabilities: held))
            let freezer = proc(CgroupFreezePause().availability(capabilities: held))
            return signal != nil && freezer != nil ? "\(signal!); \(freezer!)" : nil
        case .clock: return proc(VDSOClockSkew().availability(capabilities: capabilities))
        }
    }

    public func mechanism(of kind: FaultKind) -> String? {
        switch kind {
        case .partition, .loss: "nftables"
        case .latency: mapping.latencyMechanism == .netem ? "netem (ingress, ifb)" : "delay engine (NFQUEUE)"
        case .duplicate, .corrupt, .reorder: "netem"
        case .bandwidth: "tbf/htb (egress), ifb + tbf (ingress)"
        case .kill: "pidfd signal"
        case .pause: "SIGSTOP or cgroup freezer"
        case .clock: "vDSO patch (process), clock_settime (host)"
        }
    }

    public func processes(matching selector: FaultlineCore.ProcessSelector) throws -> [MatchedProcess] {
        try processes.resolve(selector).map { identity in
            MatchedProcess(pid: identity.pid, name: (try? ProcFS.comm(of: identity.pid)) ?? "?",
                           commandLine: ((try? ProcFS.commandLine(of: identity.pid)) ?? []).joined(separator: " "))
        }
    }

    public func conflict(of fault: Fault, with existing: [Fault]) -> String? {
        guard fault.kind.isNetwork, let spec = try? mapping.spec(for: fault) else { return nil }
        for other in existing where other.kind.isNetwork {
            guard let otherSpec = try? mapping.spec(for: other) else { continue }
            if case .refused(let reason) = composition(otherSpec, spec) { return "cannot compose with a live fault: \(reason)" }
        }
        return nil
    }
}
