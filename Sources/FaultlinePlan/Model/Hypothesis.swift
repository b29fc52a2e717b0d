import FaultlineCore

/// One probe of the steady-state hypothesis, and when it is checked.
public struct HypothesisProbe: Sendable, Hashable {
    public var name: String
    public var probe: Probe
    public var when: Set<ProbeTiming>
    /// Sampling interval for `during` and `continuous`.
    public var every: TimeSpan
    public var mark: Mark
}

/// When a steady-state probe runs.
public enum ProbeTiming: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Once before the method; a failure means the system was not steady to begin with.
    case before
    /// Sampled while the method runs; recorded, reported, never aborts the run.
    case during
    /// Once after every fault is reverted and rollbacks ran.
    case after
    /// From the first check before the method to the last after it.
    case continuous

    public static func < (a: ProbeTiming, b: ProbeTiming) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// An abort condition, checked on an interval while the method runs.
public struct Guard: Sendable, Hashable {
    public var name: String
    public var probe: Probe
    public var every: TimeSpan = .seconds(1)
    /// Failures are tolerated until they have lasted this long (0: abort on the first).
    public var grace: TimeSpan = .zero
    public var mark: Mark
}
