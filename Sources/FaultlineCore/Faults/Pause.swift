/// Freeze the selected processes for the fault's duration (a GC stall, a VM freeze), then
/// resume them. Resuming is the revert, so it also happens after an agent crash (ledger).
public struct Pause: Hashable, Sendable, Codable {
    public var process: ProcessSelector
    public var mechanism: PauseMechanism = .auto

    public init(process: ProcessSelector, mechanism: PauseMechanism = .auto) { self.process = process; self.mechanism = mechanism }

    public func problems() -> [FieldProblem] { process.problems() }
}

/// How processes are frozen: SIGSTOP/SIGCONT per process, or the cgroup freezer for a
/// group (v2 `cgroup.freeze`, else v1). `auto` picks the freezer for cgroup and unit
/// selectors and signals otherwise.
public enum PauseMechanism: String, Hashable, Sendable, Codable, CaseIterable {
    case auto, sigstop, freezer
}
