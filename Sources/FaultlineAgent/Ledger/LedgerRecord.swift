import FaultlineAgentAPI
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
