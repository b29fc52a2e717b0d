import FaultlineAgentAPI
import FaultlineCore
import Foundation

/// The agent's state and its safety rules, independent of HTTP.
///
/// Order of every apply (the order is the safety argument, and tests check it):
/// validate → policy → availability → selectors resolved (bounded, *outside* the lock) →
/// composition → ledger `applying` (synced) → lease granted → kernel. Every revert:
/// kernel → ledger `reverted` → lease released.
///
/// The lease always wins: `lock` guards only the ledger, the lease table and kernel calls
/// that take milliseconds. Nothing a caller controls — a pidfile, a /proc walk, a pattern, a
/// cgroup tree — is read while it is held, so the reaper, renewals, halt and health never
/// wait on a request.
public final class AgentService: @unchecked Sendable {
    let injector: FaultInjector
    let policy: AgentPolicy
    let ledger: LedgerFile
    let clock: @Sendable () -> UInt64
    private let lock = NSLock()
    private var state: LedgerState
    private var leases = LeaseTable()
    /// The most recent reverts, oldest first, for `GET /v1/faults`.
    private var history: [RevertedFault] = []
    public let metrics = AgentMetrics()
    /// Audit records go here (stderr in the daemon, a buffer in tests).
    let log: AgentLog
    /// What start-up recovery found and did, for the audit log and tests.
    public private(set) var recovery = Recovery()

    public struct Recovery: Sendable, Hashable {
        /// Faults the ledger said were applied, reverted at start.
        public var reverted: [String] = []
        /// Damaged ledger lines skipped (their faults, if any, are left to the sweep).
        public var damagedLines: [Int] = []
        public var tornTail = false
        /// Objects with Faultline's marks removed from the kernel though no record named them.
        public var swept: [String] = []
    }

    /// Opens the ledger, reverts every fault a previous process left applied, then sweeps
    /// the kernel for objects with Faultline's marks that no record names (a lost, truncated
    /// or damaged ledger). Never refuses to start because of the ledger's state.
    public init(injector: FaultInjector, policy: AgentPolicy, ledgerPath: String,
                clock: @escaping @Sendable () -> UInt64 = AgentService.monotonicNanos,
                log: AgentLog = AgentLog(capture: { _ in })) throws {
        self.injector = injector
        self.policy = policy
        self.clock = clock
        self.log = log
        let (file, contents) = try LedgerFile.open(path: ledgerPath)
        ledger = file
        state = LedgerState(records: contents.records)
        recovery.tornTail = contents.tornTail
        recovery.damagedLines = contents.damagedLines
        if contents.tornTail { log.warning("ledger: dropped a torn last record (a write interrupted by a crash)") }
        if !contents.damagedLines.isEmpty {
            log.warning("ledger: \(contents.damagedLines.count) damaged line(s) skipped (line \(contents.damagedLines.prefix(10).map(String.init).joined(separator: ", "))); the original is kept at \(ledgerPath).damaged; reverting what could be read and sweeping the rest")
        }
        for (id, entry) in state.applied {
            revertLocked(id: id, entry: entry, reason: .recovery)
            recovery.reverted.append(id)
        }
        do {
            recovery.swept = try injector.sweepOrphans()
            for object in recovery.swept { log.notice("recovery: removed \(object) (Faultline's mark, named by no ledger record)") }
        } catch {
            log.error("recovery: the orphan sweep failed: \(error)")
        }
        // The ledger is also the host's record of what was done to it (recoveries included),
        // so it is kept whole and only compacted once it grows past a bound.
        if contents.records.count > Self.compactionThreshold {
            try ledger.compact(to: state.applied.map { .applying(id: $0.id, fault: $0.entry.fault, undo: $0.entry.undo, leaseSeconds: $0.entry.leaseSeconds) })
        }
    }

    /// Records kept before start-up compacts the ledger to the faults still owed.
    static let compactionThreshold = 10_000

    public static let monotonicNanos: @Sendable () -> UInt64 = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Applies a fault under a lease. Idempotent by id: the same id and fault again renews
    /// the lease and answers `false` (already applied); the same id with another fault is a conflict.
    @discardableResult
    public func apply(id: String, fault: Fault, leaseSeconds: Double, caller: String) throws -> Bool {
        let problems = fault.problems()
        guard problems.isEmpty else {
            throw AgentError(422, "invalid fault: " + problems.map(\.description).joined(separator: "; "))
        }
        if let filter = fault.filter, !filter.isResolved {
            throw AgentError(422, "invalid fault: peers must be addresses; the controller resolves target names before sending")
        }
        guard leaseSeconds >= 0.1 else { throw AgentError(422, "invalid lease: expected at least 0.1 seconds, found \(leaseSeconds)") }
        // A renewal by re-apply must not wait for a selector to resolve again.
        if try renewIfApplied(id: id, fault: fault) { return false }
        if let refusal = lock.withLock({ policy.refusal(of: fault, leaseSeconds: leaseSeconds, applied: state.applied.count) }) {
            throw AgentError(403, refusal)
        }
        if let missing = injector.unavailability(of: fault.kind) {
            throw AgentError(422, "this host cannot inject \(fault.kind.rawValue): \(missing)")
        }
        // Selectors (pidfiles, /proc, patterns, cgroups) resolve here, with no lock held and
        // within their own deadline (see ProcessScope).
        let undo: Data
        do { undo = try injector.undoRecord(id: id, fault: fault) } catch {
            throw AgentError(422, "cannot inject \(fault.kind.rawValue): \(error)")
        }
        return try lock.withLock {
            if let existing = state.entry(id) {
                // Another request applied this id while the selector resolved.
                guard existing.fault == fault else {
                    throw AgentError(409, "fault id '\(id)' is already applied with different parameters; revert it first or use a new id")
                }
                leases.renew([id], now: clock())
                return false
            }
            if let refusal = policy.refusal(of: fault, leaseSeconds: leaseSeconds, applied: state.applied.count) {
                throw AgentError(403, refusal)
            }
            if let conflict = injector.conflict(of: fault, with: state.applied.map(\.entry.fault)) {
                throw AgentError(409, conflict)
            }
            let record = LedgerRecord.applying(id: id, fault: fault, undo: undo, leaseSeconds: leaseSeconds)
            do { try ledger.append(record) } catch {
                throw AgentError(503, "cannot write the ledger, so nothing was applied: \(error)")
            }
            state.apply(record)
            leases.grant(id, lengthNanos: UInt64(leaseSeconds * 1e9), now: clock())
            let started = clock()
            do {
                try injector.apply(id: id, fault: fault, undo: undo)
            } catch {
                metrics.failed(fault.kind)
                revertLocked(id: id, entry: state.entry(id)!, reason: .applyFailed)
                throw AgentError(500, "applying \(fault.kind.rawValue) failed and was rolled back: \(error)")
            }
            metrics.applied(fault.kind, seconds: Double(clock() - started) / 1e9)
            log.notice("apply id=\(id) kind=\(fault.kind.rawValue) lease=\(leaseSeconds)s caller=\(caller) result=applied")
            return true
        }
    }

    /// True when `id` is applied with this fault (its lease is renewed); throws 409 when it
    /// is applied with another; false when it is not applied.
    private func renewIfApplied(id: String, fault: Fault) throws -> Bool {
        try lock.withLock {
            guard let existing = state.entry(id) else { return false }
            guard existing.fault == fault else {
                throw AgentError(409, "fault id '\(id)' is already applied with different parameters; revert it first or use a new id")
            }
            leases.renew([id], now: clock())
            return true
        }
    }

    /// Renews leases; returns the ids this agent does not hold.
    public func renew(_ ids: [String]) -> [String] {
        lock.withLock { leases.renew(ids, now: clock()) }
    }

    /// Reverts one fault; nil when the id is not applied. A revert the kernel refused
    /// throws (500): the fault stays owed and the agent retries it on its own.
    @discardableResult
    public func revert(id: String, reason: RevertReason = .requested) throws -> RevertedFault? {
        try lock.withLock {
            guard let entry = state.entry(id) else { return nil }
            guard let done = revertLocked(id: id, entry: entry, reason: reason) else {
                throw AgentError(500, "reverting '\(id)' failed; the agent keeps retrying it (see its audit log)")
            }
            return done
        }
    }

    /// Reverts everything (halt), newest first; returns what was reverted.
    @discardableResult
    public func revertAll(reason: RevertReason = .halt) -> [RevertedFault] {
        lock.withLock {
            state.applied.reversed().compactMap { id, entry in revertLocked(id: id, entry: entry, reason: reason) }
        }
    }

    /// Reverts faults whose lease ran out; the reaper calls this on a short tick.
    @discardableResult
    public func reapExpiredLeases() -> [String] {
        lock.withLock {
            let expired = leases.expired(at: clock())
            for id in expired {
                if let entry = state.entry(id) {
                    revertLocked(id: id, entry: entry, reason: .leaseExpired)
                    metrics.leaseExpired()
                } else {
                    leases.release(id)
                }
            }
            return expired
        }
    }

    /// What a process selector reaches here (for previews): the policy applies as for a
    /// fault, the scope and deadline as for apply; no lock, it changes nothing.
    public func processes(matching selector: ProcessSelector) throws -> [MatchedProcess] {
        if let refusal = policy.refusal(toSelect: selector) { throw AgentError(403, refusal) }
        return try injector.processes(matching: selector)
    }

    public func applied() -> [AppliedFault] {
        lock.withLock {
            let now = clock()
            return state.applied.map { id, entry in
                AppliedFault(id: id, fault: entry.fault, leaseSeconds: entry.leaseSeconds,
                             leaseRemainingSeconds: Double(leases.remaining(id, now: now) ?? 0) / 1e9)
            }
        }
    }

    /// The most recent reverts (reason and time), oldest first.
    public func recentReverts() -> [RevertedFault] { lock.withLock { history } }

    /// How many faults are applied: for health, which must answer even when a kernel call
    /// holds the lock a moment, so it takes the lock only to read one number.
    public func appliedCount() -> Int { lock.withLock { state.applied.count } }

    /// Must hold `lock`. A failed revert stays in the ledger (and is retried by the next
    /// reap or start-up); its lease is re-armed for a short retry.
    @discardableResult
    private func revertLocked(id: String, entry: LedgerState.Entry, reason: RevertReason) -> RevertedFault? {
        let started = clock()
        do {
            try injector.revert(undo: entry.undo)
            let record = LedgerRecord.reverted(id: id, reason: reason)
            try? ledger.append(record)
            state.apply(record)
            leases.release(id)
            metrics.reverted(entry.fault.kind, seconds: Double(clock() - started) / 1e9)
            log.notice("revert id=\(id) kind=\(entry.fault.kind.rawValue) reason=\(reason.rawValue) result=reverted")
            let done = RevertedFault(id: id, kind: entry.fault.kind.rawValue, reason: reason, revertedAt: RevertedFault.timestamp(Date()))
            history.append(done)
            if history.count > AgentWire.revertHistory { history.removeFirst(history.count - AgentWire.revertHistory) }
            return done
        } catch {
            let record = LedgerRecord.revertFailed(id: id, error: "\(error)")
            try? ledger.append(record)
            state.apply(record)
            leases.grant(id, lengthNanos: 500_000_000, now: clock())
            log.error("revert id=\(id) kind=\(entry.fault.kind.rawValue) reason=\(reason.rawValue) result=failed error=\(error)")
            return nil
        }
    }
}
