import FaultlineAgentAPI
import Synchronization

/// How a run is stopped early, from any thread: a guard trips, the agents lose our
/// faults (halt), or a signal arrives.
///
/// The first stop wins and records why; it cancels the running phase's task (sleeps end
/// at once) and calls `onAbort`, which reverts every fault now rather than after the
/// method's tasks have unwound. A second signal additionally asks for "revert only": no
/// rollbacks, no after-probes, exit.
public final class RunControl: Sendable {
    public struct Stop: Sendable, Hashable {
        public var reason: String
        /// What the agents are told (and record) as the reason for reverting: guard, halt, abort.
        public var revertReason: RevertReason
        /// Stopped because an agent failed (the run ends could-not-run, not aborted).
        public var agentFailure: Bool = false
    }

    private struct State {
        var stop: Stop?
        var signals = 0
        var revertOnly = false
        var current: Task<Void, Never>?
        var onAbort: (@Sendable (Stop) -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    public var stop: Stop? { state.withLock { $0.stop } }
    public var revertOnly: Bool { state.withLock { $0.revertOnly } }

    func setOnAbort(_ body: @escaping @Sendable (Stop) -> Void) { state.withLock { $0.onAbort = body } }

    /// The task of the phase now running (method, rollbacks, after-probes).
    func setCurrent(_ task: Task<Void, Never>?) {
        let cancelNow = state.withLock { s -> Bool in
            s.current = task
            // A phase started after a revert-only stop is cancelled at once.
            return s.revertOnly
        }
        if cancelNow { task?.cancel() }
    }

    /// Stops the run (first caller wins); answers whether this call stopped it.
    @discardableResult
    public func abort(_ reason: String, revertReason: RevertReason, agentFailure: Bool = false) -> Bool {
        let (first, task, hook) = state.withLock { s -> (Bool, Task<Void, Never>?, (@Sendable (Stop) -> Void)?) in
            guard s.stop == nil else { return (false, nil, nil) }
            s.stop = Stop(reason: reason, revertReason: revertReason, agentFailure: agentFailure)
            return (true, s.current, s.onAbort)
        }
        guard first else { return false }
        task?.cancel()
        hook?(Stop(reason: reason, revertReason: revertReason, agentFailure: agentFailure))
        return true
    }

    /// SIGINT/SIGTERM: the first stops the run gracefully (revert, rollbacks, after-probes);
    /// the second cancels whatever runs and leaves only the revert.
    public func signal(_ name: String) {
        let (count, task) = state.withLock { s -> (Int, Task<Void, Never>?) in
            s.signals += 1
            if s.signals >= 2 { s.revertOnly = true }
            return (s.signals, s.current)
        }
        abort("stopped by \(name)", revertReason: .abort)
        // A second signal: revert only, and stop waiting for whatever the run is doing.
        if count > 1 { task?.cancel() }
    }

    public var signalCount: Int { state.withLock { $0.signals } }
}
