#if canImport(Glibc)
import Glibc
#endif

/// Pauses single processes with SIGSTOP and resumes them with SIGCONT.
///
/// Least invasive for small sets of processes: nothing about the processes changes but
/// their run state (no cgroup moves). Only the listed processes stop; their children keep
/// running (use `CgroupFreezePause` for a whole service). `revert` sends SIGCONT to every
/// recorded process that still exists — even one that was stopped by someone else before,
/// which is the safe direction for a fault tool.
public struct SignalPause: ProcFaultMechanism {
    public struct Spec: Sendable, Codable, Equatable {
        public var targets: [ProcessIdentity]
        /// Wait until each target shows state T (stopped) in /proc/PID/stat.
        public var confirmTimeout: Duration

        public init(targets: [ProcessIdentity], confirmTimeout: Duration = .seconds(2)) {
            self.targets = targets
            self.confirmTimeout = confirmTimeout
        }
    }

    public struct Undo: Sendable, Codable, Equatable {
        public var targets: [ProcessIdentity]
    }

    public struct Applied: Sendable, Codable, Equatable {
        public var stopped: [ProcessIdentity]
        public var alreadyGone: [ProcessIdentity]
    }

    public static let name = "pause.signal"
    public static let requires = PidfdSupport.signalRequirements

    public init() {}

    public func availability(capabilities: CapabilityReport) -> Availability {
        Availability.evaluate(mechanism: Self.name, requires: Self.requires, capabilities: capabilities,
                              otherMissing: PidfdSupport.missing)
    }

    public func prepare(_ spec: Spec) throws(ProcShimError) -> Undo {
        guard !spec.targets.isEmpty else { throw .invalidSpec("pause needs at least one target") }
        try SelfProtection.refuseSelf(spec.targets)
        return Undo(targets: spec.targets)
    }

    public func apply(_ spec: Spec, undo: Undo) throws(ProcShimError) -> Applied {
        try SelfProtection.refuseSelf(spec.targets)
        var stopped: [ProcessIdentity] = []
        var gone: [ProcessIdentity] = []
        for target in spec.targets {
            do {
                try PidFD.open(target).send(.stop)
                stopped.append(target)
            } catch {
                switch error {
                case .processGone, .pidReused, .system(_, _, ESRCH): gone.append(target)
                default: throw error
                }
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: spec.confirmTimeout)
        for target in stopped {
            while true {
                guard case .alive(let stat) = try ProcFS.liveness(of: target) else { break }
                if stat.isStopped || stat.isZombie { break }
                if clock.now >= deadline {
                    throw .timedOut(what: "\(target) to reach state T after SIGSTOP", after: spec.confirmTimeout)
                }
                usleep(200)
            }
        }
        return Applied(stopped: stopped, alreadyGone: gone)
    }

    public func revert(_ undo: Undo) throws(ProcShimError) -> RevertReport {
        var entries: [RevertReport.Entry] = []
        for target in undo.targets {
            let before: ProcStat
            let handle: PidFD
            do {
                handle = try PidFD.open(target)
                before = try ProcFS.verify(target)
            } catch {
                switch error {
                case .processGone, .system(_, _, ESRCH):
                    entries.append(.init(target: target.description, outcome: .targetGone, detail: "exited"))
                    continue
                case .pidReused(_, _, let actual):
                    entries.append(.init(target: target.description, outcome: .targetGone,
                                         detail: "pid now belongs to a process started at \(actual); not signalled"))
                    continue
                default: throw error
                }
            }
            do {
                try handle.send(.cont)
            } catch {
                if case .system(_, _, ESRCH) = error {
                    entries.append(.init(target: target.description, outcome: .targetGone, detail: "exited"))
                    continue
                }
                throw error
            }
            entries.append(.init(target: target.description,
                                 outcome: before.isStopped ? .reverted : .alreadyReverted,
                                 detail: before.isStopped ? "SIGCONT sent" : "was running; SIGCONT sent anyway"))
        }
        return RevertReport(entries: entries)
    }
}
