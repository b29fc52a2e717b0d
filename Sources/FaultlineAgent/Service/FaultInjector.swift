import FaultlineAgentAPI
import FaultlineCore
import Foundation

/// The seam between the agent and the kernel: turns a `Fault` into shim calls.
///
/// The production injector maps faults onto FaultlineNetShims and FaultlineProcShims,
/// entering the host's network namespace when the host is a lab namespace. The agent
/// calls `undoRecord` first and writes it to the ledger, then `apply`; after a crash a
/// fresh process calls `revert` with the undo record alone.
public protocol FaultInjector: Sendable {
    /// Everything needed to revert `fault` later, computed without touching anything.
    func undoRecord(id: String, fault: Fault) throws -> Data
    /// Injects the fault, acting on exactly what `undo` (from `undoRecord`, now in the
    /// ledger) names; on error nothing of it is left applied.
    func apply(id: String, fault: Fault, undo: Data) throws
    /// Removes what `undo` names; idempotent, needs no state from `apply`.
    func revert(undo: Data) throws
    /// nil when this host can inject `kind`, else what is missing.
    func unavailability(of kind: FaultKind) -> String?
    /// What carries `kind` out on this host (e.g. "netem (ingress, ifb)"), for the capability report.
    func mechanism(of kind: FaultKind) -> String?
    /// The processes `selector` reaches on this host now; touches nothing.
    func processes(matching selector: ProcessSelector) throws -> [MatchedProcess]
    /// nil when `fault` can be applied alongside `existing`, else why not.
    func conflict(of fault: Fault, with existing: [Fault]) -> String?
    /// Removes every kernel object in the agent's scope that carries Faultline's marks
    /// (called at start-up after the ledger's faults are reverted, so whatever is left was
    /// named by no readable record); returns what it removed.
    func sweepOrphans() throws -> [String]
}

/// An error with the HTTP status the API answers it with and a reason for the caller.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var reason: String
    public init(_ status: Int, _ reason: String) { self.status = status; self.reason = reason }
    public var description: String { "\(status): \(reason)" }
}

extension FaultInjector {
    public func mechanism(of kind: FaultKind) -> String? { nil }
    public func sweepOrphans() throws -> [String] { [] }
}
