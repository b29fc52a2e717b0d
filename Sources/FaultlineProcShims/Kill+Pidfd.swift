#if canImport(Glibc)
import Glibc
#endif
import CFaultlineProc

/// Sends a signal to selected processes through pidfds and optionally waits for them to exit.
///
/// No pid-reuse race: each target is opened as a pidfd and its start time is checked
/// after the open, then the signal goes through the pidfd. A signal cannot be taken back,
/// so `revert` reports `.irreversible`; restarting a killed service is the agent's policy.
public struct KillFault: ProcFaultMechanism {
    public struct Spec: Sendable, Codable, Equatable {
        public var targets: [ProcessIdentity]
        public var signal: Signal
        /// Wait this long for each target to exit (a zombie counts as exited); nil = do not wait.
        public var waitForExit: Duration?

        public init(targets: [ProcessIdentity], signal: Signal, waitForExit: Duration? = nil) {
            self.targets = targets
            self.signal = signal
            self.waitForExit = waitForExit
        }
    }

    public struct Undo: Sendable, Codable, Equatable {
        public var targets: [ProcessIdentity]
        public var signal: Signal
    }

    public struct Applied: Sendable, Codable, Equatable {
        public enum Outcome: String, Sendable, Codable, Equatable {
            /// Signalled and seen exiting within the wait.
            case exited
            /// Signalled; not waited for, or still running when the wait ended.
            case signalled
            /// The process was gone (or its pid reused) before the signal: nothing was sent.
            case alreadyGone
        }
        public var outcomes: [ProcessIdentity: Outcome]
    }

    public static let name = "kill"
    public static let requires = PidfdSupport.signalRequirements

    public init() {}

    public func availability(capabilities: CapabilityReport) -> Availability {
        Availability.evaluate(mechanism: Self.name, requires: Self.requires, capabilities: capabilities,
                              otherMissing: PidfdSupport.missing)
    }

    public func prepare(_ spec: Spec) throws(ProcShimError) -> Undo {
        guard !spec.targets.isEmpty else { throw .invalidSpec("kill needs at least one target") }
        try SelfProtection.refuseSelf(spec.targets)
        return Undo(targets: spec.targets, signal: spec.signal)
    }

    public func apply(_ spec: Spec, undo: Undo) throws(ProcShimError) -> Applied {
        try SelfProtection.refuseSelf(spec.targets)
        var handles: [(ProcessIdentity, PidFD)] = []
        var outcomes: [ProcessIdentity: Applied.Outcome] = [:]
        for target in spec.targets {
            do {
                let handle = try PidFD.open(target)
                try handle.send(spec.signal)
                handles.append((target, handle))
                outcomes[target] = .signalled
            } catch {
                switch error {
                case .processGone, .pidReused: outcomes[target] = .alreadyGone
                case .system(_, _, ESRCH): outcomes[target] = .alreadyGone
                default: throw error
                }
            }
        }
        if let wait = spec.waitForExit {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: wait)
            for (target, handle) in handles {
                let remaining = max(.zero, clock.now.duration(to: deadline))
                if try handle.waitForExit(timeout: remaining) { outcomes[target] = .exited }
            }
        }
        return Applied(outcomes: outcomes)
    }

    public func revert(_ undo: Undo) throws(ProcShimError) -> RevertReport {
        RevertReport(entries: undo.targets.map {
            .init(target: $0.description, outcome: .irreversible,
                  detail: "\(undo.signal) was delivered; restarting is the agent's policy")
        })
    }
}

/// Whether this kernel has pidfds (probed once on our own pid), and what signalling
/// through them needs; kill and SIGSTOP pause share both.
enum PidfdSupport {
    static let signalRequirements: [Requirement] = [
        .kernelFeature("pidfd_open(2) and pidfd_send_signal(2) (Linux 5.3)"),
        .capability(.kill),  // only for processes of other users
    ]

    static let missing: [Requirement] = {
        let fd = fl_pidfd_open(getpid(), 0)
        if fd >= 0 { close(fd); return [] }
        return [.kernelFeature("pidfd_open(2) (Linux 5.3): \(ErrnoName.describe(errno))")]
    }()
}

/// Faultline never signals, freezes or patches the agent process itself.
enum SelfProtection {
    static func refuseSelf(_ targets: [ProcessIdentity]) throws(ProcShimError) {
        let me = getpid()
        if targets.contains(where: { $0.pid == me }) {
            throw .refused("target list contains the agent's own pid \(me)")
        }
        if targets.contains(where: { $0.pid <= 1 }) {
            throw .refused("target list contains pid 0 or 1 (init)")
        }
    }
}
