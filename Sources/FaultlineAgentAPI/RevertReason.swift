import Foundation

/// Why a fault was reverted: a closed set, recorded by the agent in its ledger and audit
/// log, answered on every revert and in `GET /v1/faults`, and journalled by the controller
/// as the agent said it (not as the controller guessed it).
///
/// The controller names its own reason on `DELETE` (`?reason=duration`); the agent adds
/// the ones only it can know (the lease ran out, recovery after a restart, the management
/// channel was lost, the agent was stopped).
public enum RevertReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// A `DELETE` that named no reason (older controllers, `curl`).
    case requested
    /// The fault's planned duration ended.
    case duration
    /// A guard probe failed and the controller reverted everything.
    case guardTripped = "guard"
    /// The controller aborted the run (an error, Ctrl-C, a failed apply elsewhere).
    case abort
    /// Revert-all: `faultline halt` or `DELETE /v1/faults`.
    case halt
    /// The lease ran out without renewal: the controller is gone or cut off.
    case leaseExpired = "lease-expired"
    /// Found applied at start-up: a previous agent process ended without reverting.
    case recovery
    /// Applying failed part way; whatever was applied was removed.
    case applyFailed = "apply-failed"
    /// After applying, the controller's acknowledgements stopped arriving.
    case managementChannelLost = "management-channel-lost"
    /// The agent was stopped (SIGTERM, SIGINT) and reverted what it held.
    case agentStopped = "agent-stopped"
    /// Never reverted, because there is nothing to revert: an instant action (`kill`) is
    /// over once applied. The controller journals it; no agent ever answers it.
    case instant

    /// The reasons a caller may name on `DELETE`; the others are the agent's to state.
    public static let callerReasons: Set<RevertReason> = [.requested, .duration, .guardTripped, .abort, .halt]
}

/// One revert, as the agent did it.
public struct RevertedFault: Codable, Sendable, Hashable {
    public var id: String
    public var kind: String
    public var reason: RevertReason
    /// Wall-clock time of the revert on the agent's host, RFC 3339 with milliseconds (UTC).
    public var revertedAt: String
    public init(id: String, kind: String, reason: RevertReason, revertedAt: String) {
        self.id = id; self.kind = kind; self.reason = reason; self.revertedAt = revertedAt
    }

    /// RFC 3339 UTC with milliseconds, the form every Faultline timestamp uses.
    public static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        let millis = Int((date.timeIntervalSince1970 - Double(t)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), min(millis, 999))
    }
}
