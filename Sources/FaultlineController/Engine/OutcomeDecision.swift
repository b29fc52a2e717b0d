/// How a run ended, from what happened. Pure.
///
/// Precedence: a run that could not start (preflight) or continue (an agent failed
/// mid-method) is `could-not-run`; otherwise a run stopped by a guard, halt or signal is
/// `aborted`; otherwise a hypothesis probe that deviated before or after the method (or
/// a consistency violation) is `deviated` — including before the method, where Chaos
/// Toolkit wrongly exits 0; otherwise `held`.
public struct OutcomeFacts: Sendable, Hashable {
    public var preflightFailure: String?
    public var agentFailure: String?
    public var abortReason: String?
    /// Names of hypothesis probes that failed before the method.
    public var deviatedBefore: [String] = []
    /// Names of hypothesis probes that failed after the method.
    public var deviatedAfter: [String] = []
    /// Consistency probes with a violation, with the check.
    public var consistencyViolations: [String] = []

    public init() {}
}

public enum OutcomeDecision {
    public static func decide(_ f: OutcomeFacts) -> (Outcome, String) {
        if let p = f.preflightFailure { return (.couldNotRun, p) }
        if let a = f.agentFailure { return (.couldNotRun, a) }
        if let r = f.abortReason { return (.aborted, r) }
        if !f.deviatedBefore.isEmpty {
            return (.deviated, "the system was not steady before the method (\(list(f.deviatedBefore))); nothing was injected")
        }
        var parts: [String] = []
        if !f.deviatedAfter.isEmpty { parts.append("after the method: \(list(f.deviatedAfter))") }
        if !f.consistencyViolations.isEmpty { parts.append("consistency: \(f.consistencyViolations.joined(separator: ", "))") }
        if !parts.isEmpty { return (.deviated, "the hypothesis deviated — " + parts.joined(separator: "; ")) }
        return (.held, "the hypothesis held before and after the method")
    }

    static func list(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }
}
