import FaultlineAgentAPI
/// The faults this run has asked agents to apply and not yet seen reverted: what every
/// exit path must revert, and what the lease renewer renews.
///
/// The one race it exists for: an abort reverts "everything" while an apply is still in
/// flight. That fault is marked `revertWanted`; when its apply returns, the applier is told
/// to revert it at once, so a fault can never be left applied behind an abort.
public actor ActiveFaults {
    enum State: Sendable, Equatable { case applying, applied, reverting, reverted }
    struct Entry: Sendable {
        var fault: HostFault
        var state: State
        var revertWanted: RevertReason?
    }
    private var entries: [String: Entry] = [:]
    private var order: [String] = []

    public init() {}

    func begin(_ f: HostFault) {
        entries[f.id] = Entry(fault: f, state: .applying)
        order.append(f.id)
    }

    /// The apply returned; answers the revert reason when an abort asked for a revert
    /// meanwhile (the caller reverts now).
    func applied(_ id: String) -> RevertReason? {
        guard var e = entries[id] else { return nil }
        if let reason = e.revertWanted {
            e.state = .reverting
            entries[id] = e
            return reason
        }
        e.state = .applied
        entries[id] = e
        return nil
    }

    /// The apply failed: nothing to revert (the agent refused or never heard it; if it
    /// did hear it, the lease reverts it).
    func applyFailed(_ id: String) { entries[id]?.state = .reverted }

    /// Instant faults (kill) have nothing to revert.
    func finished(_ id: String) { entries[id]?.state = .reverted }

    /// Takes faults to revert now: applied ones (marked reverting) are returned; ones
    /// still being applied are marked to be reverted when their apply returns.
    /// - Parameter ids: nil for every fault.
    func takeForRevert(_ ids: [String]?, reason: RevertReason) -> [HostFault] {
        var out: [HostFault] = []
        for id in ids ?? order {
            guard var e = entries[id] else { continue }
            switch e.state {
            case .applied:
                e.state = .reverting
                out.append(e.fault)
            case .applying:
                if e.revertWanted == nil { e.revertWanted = reason }
            case .reverting, .reverted:
                break
            }
            entries[id] = e
        }
        return out
    }

    func reverted(_ id: String) { entries[id]?.state = .reverted }

    /// A revert call failed: applied again so another pass (or the lease) retries it.
    func revertFailed(_ id: String) { if entries[id]?.state == .reverting { entries[id]?.state = .applied } }

    /// Applied faults, for lease renewal.
    func applied() -> [(host: String, id: String)] {
        order.compactMap { id in
            guard let e = entries[id], e.state == .applied else { return nil }
            return (e.fault.host.name, id)
        }
    }

    /// Faults not confirmed reverted (for the final account).
    func outstanding() -> [HostFault] {
        order.compactMap { id in entries[id].flatMap { $0.state == .reverted ? nil : $0.fault } }
    }

    /// An apply or a revert is still under way (perhaps by another revert pass).
    func busy() -> Bool { entries.values.contains { $0.state == .applying || $0.state == .reverting } }
}
