import FaultlineCore

/// A validated experiment plan: what a `faultline run` carries out.
///
/// Produced only by `PlanParser`, which guarantees that every target a step, probe or
/// topology names is defined, every fault's parameters are valid and every duration is
/// positive. Values keep the location they came from, so later stages (resolution at run
/// time, the journal) can still point at the plan's text.
public struct Plan: Sendable {
    public var file: String
    public var version: Int
    public var title: String
    public var description: String?
    public var tags: [String]
    public var inventory: InventorySource
    /// In the order they were written.
    public var targets: [TargetDefinition]
    public var steadyState: [HypothesisProbe]
    public var guards: [Guard]
    public var method: [Step]
    public var rollbacks: [Step]
    public var settings: Settings
    /// What the parser advises but does not refuse (`faultline validate` and `run` print them).
    public var warnings: [Diagnostic] = []

    public func target(named name: String) -> TargetDefinition? { targets.first { $0.name == name } }
}

/// Run-wide settings with their defaults.
public struct Settings: Sendable, Hashable {
    /// How long an agent keeps a fault applied without hearing from the controller.
    public var lease: TimeSpan = .seconds(10)
    /// Default timeout of one probe call.
    public var probeTimeout: TimeSpan = .seconds(5)
    /// Timeout of one call to an agent.
    public var agentTimeout: TimeSpan = .seconds(5)
    /// How long the system may take to recover after the faults are reverted: the
    /// after-probes are retried (the `recovery` phase) until they all hold or this passes,
    /// and only then checked for the verdict. Zero checks at once.
    public var settle: TimeSpan = .zero
    /// Seed of every random choice (`pick`, `percent`, `random-halves`, workloads); nil
    /// draws one at run time and records it in the journal.
    public var seed: UInt64?

    public init() {}
}
