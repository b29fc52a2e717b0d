import FaultlineCore
import Foundation

/// One line of the agent's write-ahead ledger.
///
/// `applying` is written and synced *before* the kernel is touched and carries everything
/// a fresh process needs to revert the fault (the shim's undo record, opaque here). So
/// whatever happens next — the apply fails half way, the agent is killed, the host
/// reboots — the next start reads the ledger and reverts every fault that has an
/// `applying` record and no `reverted` one. Reverting something never applied is a no-op
/// (shims' reverts are idempotent), which is what makes "ledger first" safe.
public enum LedgerRecord: Sendable, Hashable, Codable {
    case applying(id: String, fault: Fault, undo: Data, leaseSeconds: Double)
    case reverted(id: String, reason: RevertReason)
    /// A revert that failed; the fault stays owed and is retried.
    case revertFailed(id: String, error: String)

    public var id: String {
        switch self {
        case .applying(let id, _, _, _), .reverted(let id, _), .revertFailed(let id, _): id
        }
    }
}

/// Why a fault was reverted; recorded in the ledger and the audit log.
public enum RevertReason: String, Sendable, Hashable, Codable {
    /// The controller asked (end of the fault's duration, or DELETE).
    case requested
    /// Revert-all (halt).
    case halt
    /// The lease ran out without renewal: the controller is gone or cut off.
    case leaseExpired = "lease-expired"
    /// Found applied at start-up: a previous agent process ended without reverting.
    case recovery
    /// Applying failed part way; whatever was applied was removed.
    case applyFailed = "apply-failed"
    /// After applying, the management channel did not answer.
    case managementChannelLost = "management-channel-lost"
    /// The agent was stopped (SIGTERM, SIGINT) and reverted what it held.
    case agentStopped = "agent-stopped"
}
