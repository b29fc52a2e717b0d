/// The contract every process and clock mechanism in this module follows.
///
/// Faultline's agent writes every fault to a write-ahead ledger *before* the kernel is
/// touched, and must be able to revert it from that ledger alone after a crash. So each
/// mechanism splits its work into three steps over plain values:
///
/// 1. `prepare(spec)` reads whatever it needs (start times from /proc/PID/stat field 22,
///    the cgroup directory, the vDSO address and the original bytes of its entry points)
///    and returns an `Undo`. It changes nothing. The agent encodes the `Undo` (Codable) and
///    syncs it to the ledger.
/// 2. `apply(spec, undo:)` injects the fault. It re-checks what `prepare` saw (same
///    process, same bytes) and refuses rather than act on something else.
/// 3. `revert(undo)` undoes it. It needs nothing but the `Undo`: it works in a fresh
///    process after the agent crashed, and it is idempotent. Reverting twice, reverting a
///    fault that was never applied (crash between ledger write and apply), or reverting
///    for a process that is gone all succeed, and the `RevertReport` says which case it was.
///
/// Every mechanism also answers `availability(capabilities:)`: what it requires and what
/// this host lacks (capability, kernel feature, architecture, policy flag).
///
/// Mechanisms are stateless values: two instances are interchangeable, and nothing but
/// the `Undo` carries state between `apply` and `revert`. Calls are synchronous and must
/// not hop threads (ptrace binds a tracee to the tracer *thread*); call them from one
/// thread, e.g. a dedicated thread or a blocking-work executor. Errors are `ProcShimError`
/// and name the failing system call and errno.
public protocol ProcFaultMechanism: Sendable {
    associatedtype Spec: Sendable & Codable
    associatedtype Undo: Sendable & Codable
    /// What `apply` did (per-target outcomes), for the agent's journal.
    associatedtype Applied: Sendable & Codable

    /// A stable name for logs and the capability report, e.g. `kill`, `pause.signal`.
    static var name: String { get }
    /// What the mechanism needs, independent of this host.
    static var requires: [Requirement] { get }

    func availability(capabilities: CapabilityReport) -> Availability
    func prepare(_ spec: Spec) throws(ProcShimError) -> Undo
    func apply(_ spec: Spec, undo: Undo) throws(ProcShimError) -> Applied
    func revert(_ undo: Undo) throws(ProcShimError) -> RevertReport
}

/// What a revert found and did, one entry per target.
public struct RevertReport: Equatable, Sendable, Codable, CustomStringConvertible {
    public enum Outcome: String, Equatable, Sendable, Codable {
        /// The fault was in place and is now undone.
        case reverted
        /// Nothing was left to undo (reverted before, or never applied).
        case alreadyReverted
        /// The target no longer exists (process exited, pid reused, cgroup removed):
        /// there is nothing to undo on it.
        case targetGone
        /// The fault cannot be undone by its nature (a delivered signal).
        case irreversible
    }

    public struct Entry: Equatable, Sendable, Codable {
        public var target: String
        public var outcome: Outcome
        public var detail: String

        public init(target: String, outcome: Outcome, detail: String) {
            self.target = target
            self.outcome = outcome
            self.detail = detail
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// True when at least one target was actually reverted by this call.
    public var didRevert: Bool { entries.contains { $0.outcome == .reverted } }

    public var description: String {
        entries.map { "\($0.target): \($0.outcome.rawValue)\($0.detail.isEmpty ? "" : " (\($0.detail))")" }
            .joined(separator: "; ")
    }
}
