import FaultlineAgentAPI
import FaultlineCore
import Foundation

/// The agent's state and its safety rules, independent of HTTP.
///
/// Order of every apply (the order is the safety argument, and tests check it):
/// validate → policy → availability → composition → ledger `applying` (synced) →
/// lease granted → kernel. Every revert: kernel → ledger `reverted` → lease released.
public final class AgentService: @unchecked Sendable {
    let injector: FaultInjector
    let policy: AgentPolicy
    let ledger: LedgerFile
    let clock: @Sendable () -> UInt64
    private let lock = NSLock()
    private var state: LedgerState
    private var leases = LeaseTable()
    public let metrics = AgentMetrics()
    /// Audit lines go here (stderr in the daemon, a buffer in tests).
    let audit: @Sendable (String) -> Void

    /// Opens the ledger and reverts every fault a previous process left applied.
    public init(injector: FaultInjector, policy: AgentPolicy, ledgerPath: String,
                clock: @escaping @Sendable () -> UInt64 = AgentService.monotonicNanos,
                audit: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.injector = injector
        self.policy = policy
        self.clock = clock
        self.audit = audit
        let (file, records, torn) = try LedgerFile.open(path: ledgerPath)
        ledger = file
        state = LedgerState(records: records)
        if torn { audit("ledger: dropped a torn last record (a write interrupted by a crash)") }
        for (id, entry) in state.applied {
            revertLocked(id: id, entry: entry, reason: .recovery)
        }
        // The ledger is also the host's record of what was done to it (recoveries included),
        // so it is kept whole and only compacted once it grows past a bound.
        if records.count > Self.compactionThreshold {
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
        try lock.withLock {
            if let existing = state.entry(id) {
                guard existing.fault == fault else {
                    throw AgentError(409, "fault id '\(id)' is already applied with different parameters; revert it first or use a new id")
                }
                leases.renew([id], now: clock())
                return false
            }
            let problems = fault.problems()
            guard problems.isEmpty else {
                throw AgentError(422, "invalid fault: " + problems.map(\.description).joined(separator: "; "))
            }
            if let filter = fault.filter, !filter.isResolved {
                throw AgentError(422, "invalid fault: peers must be addresses; the controller resolves target names before sending")
            }
            guard leaseSeconds >= 0.1 else { throw AgentError(422, "invalid lease: expected at least 0.1 seconds, found \(leaseSeconds)") }
            if let refusal = policy.refusal(of: fault, leaseSeconds: leaseSeconds, applied: state.applied.count) {
                throw AgentError(403, refusal)
            }
            if let missing = injector.unavailability(of: fault.kind) {
                throw AgentError(422, "this host cannot inject \(fault.kind.rawValue): \(missing)")
            }
            if let conflict = injector.conflict(of: fault, with: state.applied.map(\.entry.fault)) {
                throw AgentError(409, conflict)
            }
            let undo: Data
            do { undo = try injector.undoRecord(id: id, fault: fault) } catch {
                throw AgentError(422, "cannot inject \(fault.kind.rawValue): \(error)")
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
            audit("apply id=\(id) kind=\(fault.kind.rawValue) lease=\(leaseSeconds)s caller=\(caller) result=applied")
            return true
        }
    }

    /// Renews leases; returns the ids this agent does not hold.
    public func renew(_ ids: [String]) -> [String] {
        lock.withLock { leases.renew(ids, now: clock()) }
    }

    /// Reverts one fault; false when the id is not applied.
    @discardableResult
    public func revert(id: String, reason: RevertReason = .requested) -> Bool {
        lock.withLock {
            guard let entry = state.entry(id) else { return false }
            revertLocked(id: id, entry: entry, reason: reason)
            return true
        }
    }

    /// Reverts everything (halt); returns the ids reverted.
    @discardableResult
    public func revertAll(reason: RevertReason = .halt) -> [String] {
        lock.withLock {
            let ids = state.applied.map(\.id)
            for (id, entry) in state.applied.reversed() { revertLocked(id: id, entry: entry, reason: reason) }
            return ids
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

    /// What a process selector reaches here (for previews); no lock: it changes nothing.
    public func processes(matching selector: ProcessSelector) throws -> [MatchedProcess] {
        try injector.processes(matching: selector)
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

    /// Must hold `lock`. A failed revert stays in the ledger (and is retried by the next
    /// reap or start-up); its lease is re-armed for a short retry.
    private func revertLocked(id: String, entry: LedgerState.Entry, reason: RevertReason) {
        let started = clock()
        do {
            try injector.revert(undo: entry.undo)
            let record = LedgerRecord.reverted(id: id, reason: reason)
            try? ledger.append(record)
            state.apply(record)
            leases.release(id)
            metrics.reverted(entry.fault.kind, seconds: Double(clock() - started) / 1e9)
            audit("revert id=\(id) kind=\(entry.fault.kind.rawValue) reason=\(reason.rawValue) result=reverted")
        } catch {
            let record = LedgerRecord.revertFailed(id: id, error: "\(error)")
            try? ledger.append(record)
            state.apply(record)
            leases.grant(id, lengthNanos: 500_000_000, now: clock())
            audit("revert id=\(id) kind=\(entry.fault.kind.rawValue) reason=\(reason.rawValue) result=failed error=\(error)")
        }
    }
}
