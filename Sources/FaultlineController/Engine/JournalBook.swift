import FaultlineCore
import Foundation

/// The run's journal while it is being written: every event, sample and fault record is
/// stamped with the run clock here, in one place, and passed to the observer (the live
/// view, or plain log lines) as it happens. Being an actor, it calls the observer one
/// record at a time, in journal order, as `RunObserver` requires.
public actor JournalBook {
    public private(set) var journal: Journal
    let clock: any RunClock
    let observer: (any RunObserver)?
    public private(set) var phase: RunPhase = .preflight
    private var faultIndex: [String: Int] = [:]

    public init(journal: Journal, clock: any RunClock, observer: (any RunObserver)?) {
        self.journal = journal; self.clock = clock; self.observer = observer
    }

    public func enter(_ phase: RunPhase) {
        self.phase = phase
        event(.phase, phase.rawValue)
    }

    public func event(_ kind: JournalEvent.Kind, _ message: String, host: String? = nil, faultID: String? = nil) {
        let e = JournalEvent(t: clock.now(), wall: clock.wall(), kind: kind, message: message, host: host, faultID: faultID, phase: phase)
        journal.events.append(e)
        observer?.record(e)
    }

    public func error(_ message: String, host: String? = nil, faultID: String? = nil) {
        journal.errors.append(message)
        event(.error, message, host: host, faultID: faultID)
    }

    /// Records one call's observation. Samples are kept in the probe's record (and shown
    /// by the observer), not repeated as events.
    public func sample(_ probe: Int, _ o: ProbeObservation, phase: RunPhase? = nil, at t: Double? = nil) {
        let sample = ProbeSample(t: t ?? clock.now(), wall: clock.wall(), phase: phase ?? self.phase, host: o.host, ok: o.ok,
                                 value: o.value, detail: o.detail, durationSeconds: o.durationSeconds)
        journal.probes[probe].samples.append(sample)
        observer?.record(probe: journal.probes[probe].name, sample)
    }

    public func addFault(_ record: FaultRecord) {
        journal.faults.append(record)
        faultIndex[record.id] = journal.faults.count - 1
    }

    public func updateFault(_ id: String, _ change: (inout FaultRecord) -> Void) {
        guard let i = faultIndex[id] else { return }
        change(&journal.faults[i])
    }

    public func addConsistency(_ record: ConsistencyRecord) { journal.consistency.append(record) }

    public func finish(_ outcome: Outcome, reason: String) {
        journal.outcome = outcome
        journal.reason = reason
        journal.endedAt = clock.wall()
        enter(.done)
        event(.note, "outcome \(outcome.rawValue) (exit \(outcome.exitCode)): \(reason)")
    }

    public func now() -> Double { clock.now() }
}
