import FaultlineAgentAPI
import FaultlineCore
import Foundation

/// The run's journal while it is being written: every event, sample and fault record is
/// stamped with the run clock here, in one place, and passed to the observer (the live
/// view, or plain log lines) as it happens. Being an actor, it calls the observer one
/// record at a time, in journal order, as `RunObserver` requires.
///
/// With a sink, the journal is written as the run goes: synced at every event (phase,
/// fault applied or reverted, guard, signal, error) and every fault or consistency record,
/// and at most `sampleSyncInterval` after a probe sample — so a controller killed at any
/// moment leaves a journal that says what was applied, losing at most that much sampling.
public actor JournalBook {
    public private(set) var journal: Journal
    let clock: any RunClock
    let observer: (any RunObserver)?
    let sink: (any JournalSink)?
    public private(set) var phase: RunPhase = .preflight
    private var faultIndex: [String: Int] = [:]
    /// Samples are frequent (every probe interval, per host); events and faults are not.
    static let sampleSyncInterval = 1.0
    private var lastSync = -Double.infinity
    /// The first write that failed, for the run's end to report (the run itself goes on).
    public private(set) var sinkError: String?

    public init(journal: Journal, clock: any RunClock, observer: (any RunObserver)?, sink: (any JournalSink)? = nil) {
        self.journal = journal; self.clock = clock; self.observer = observer; self.sink = sink
    }

    /// Writes the journal as it stands to the sink, now.
    public func sync() {
        guard let sink else { return }
        lastSync = clock.now()
        do { try sink.write(journal) } catch {
            if sinkError == nil { sinkError = "\(error)" }
        }
    }

    private func syncSoon() {
        if clock.now() - lastSync >= Self.sampleSyncInterval { sync() }
    }

    public func enter(_ phase: RunPhase) {
        self.phase = phase
        event(.phase, phase.rawValue)
    }

    public func event(_ kind: JournalEvent.Kind, _ message: String, host: String? = nil, faultID: String? = nil) {
        let e = JournalEvent(t: clock.now(), wall: clock.wall(), kind: kind, message: message, host: host, faultID: faultID, phase: phase)
        journal.events.append(e)
        observer?.record(e)
        sync()
    }

    public func error(_ message: String, host: String? = nil, faultID: String? = nil) {
        journal.errors.append(message)
        event(.error, message, host: host, faultID: faultID)
    }

    /// Records one call's observation, stamped with when it was sent (`sentAt`, run
    /// clock: docs/journal-format.md promises the send time, with the call's duration
    /// beside it). Samples are kept in the probe's record (and shown by the observer), not
    /// repeated as events.
    public func sample(_ probe: Int, _ o: ProbeObservation, sentAt t: Double, phase: RunPhase? = nil) {
        let now = clock.now()
        let sample = ProbeSample(t: t, wall: clock.wall().addingTimeInterval(min(0, t - now)), phase: phase ?? self.phase, host: o.host, ok: o.ok,
                                 value: o.value, detail: o.detail, durationSeconds: o.durationSeconds)
        journal.probes[probe].samples.append(sample)
        observer?.record(probe: journal.probes[probe].name, sample)
        syncSoon()
    }

    public func addFault(_ record: FaultRecord) {
        journal.faults.append(record)
        faultIndex[record.id] = journal.faults.count - 1
        sync()
    }

    public func updateFault(_ id: String, _ change: (inout FaultRecord) -> Void) {
        guard let i = faultIndex[id] else { return }
        change(&journal.faults[i])
        sync()
    }

    /// Records a revert as the agent stated it: its reason, and its time moved onto the
    /// run's clock (kept between the apply and now, should the hosts' clocks disagree).
    /// Without the agent's record the time is now and the reason stays unknown.
    public func reverted(_ id: String, as record: RevertedFault?) {
        guard let i = faultIndex[id] else { return }
        let now = clock.now()
        var t = now
        if let record, let wall = RenderFormat.parseWall(record.revertedAt) {
            let floor = journal.faults[i].appliedAt ?? journal.faults[i].requestedAt
            t = min(now, max(floor, now - clock.wall().timeIntervalSince(wall)))
        }
        journal.faults[i].revertedAt = t
        journal.faults[i].revertReason = record?.reason
        journal.faults[i].agentRevertedAt = record?.revertedAt
        sync()
    }

    public func resolved(_ target: String, how: String, use: String, hosts: [String]) {
        journal.targets.append(TargetResolution(t: clock.now(), wall: clock.wall(), target: target, how: how, use: use, hosts: hosts))
        event(.targetResolved, "target '\(target)' (\(how)) is \(hosts.isEmpty ? "no host" : hosts.joined(separator: ", ")) for \(use)")
    }

    public func addConsistency(_ record: ConsistencyRecord) {
        journal.consistency.append(record)
        sync()
    }

    public func finish(_ outcome: Outcome, reason: String) {
        journal.outcome = outcome
        journal.reason = reason
        journal.endedAt = clock.wall()
        enter(.done)
        event(.note, "outcome \(outcome.rawValue) (exit \(outcome.exitCode)): \(reason)")
    }

    public func now() -> Double { clock.now() }
}
