import FaultlineAgentAPI
import FaultlineCore
import Foundation

/// Everything that happened in one `faultline run`, in the order it happened: the one
/// record every output (JUnit, HTML report, live view, exit code) is rendered from.
///
/// Times are kept twice: `t` is seconds since the run started on the monotonic clock (for
/// ordering and durations, immune to clock steps — a clock-skew experiment may step a
/// guest's clock), `wall` is the wall-clock time (for people). Schema: docs/journal-format.md.
public struct Journal: Codable, Sendable {
    public static let schema = "faultline.journal/1"
    public var schema: String = Journal.schema
    /// The version of the `faultline` that ran (absent in journals written before it was recorded).
    public var faultlineVersion: String? = FaultlineVersion.current
    public var plan: PlanSummary
    public var seed: UInt64
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: Outcome?
    /// Why the run ended as it did, in a sentence (the guard that tripped, the probe that deviated).
    public var reason: String?
    public var hosts: [HostSummary] = []
    public var events: [JournalEvent] = []
    public var probes: [ProbeRecord] = []
    public var faults: [FaultRecord] = []
    public var consistency: [ConsistencyRecord] = []
    /// Every time a dynamic or random target was resolved: which hosts it meant, and when.
    public var targets: [TargetResolution] = []
    public var errors: [String] = []

    public init(plan: PlanSummary, seed: UInt64, startedAt: Date) {
        self.plan = plan; self.seed = seed; self.startedAt = startedAt
    }

    /// Lists added within `faultline.journal/1` may be missing from older journals: read as empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        faultlineVersion = try c.decodeIfPresent(String.self, forKey: .faultlineVersion)
        plan = try c.decode(PlanSummary.self, forKey: .plan)
        seed = try c.decode(UInt64.self, forKey: .seed)
        startedAt = try c.decode(Date.self, forKey: .startedAt)
        endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
        outcome = try c.decodeIfPresent(Outcome.self, forKey: .outcome)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        hosts = try c.decode([HostSummary].self, forKey: .hosts)
        events = try c.decode([JournalEvent].self, forKey: .events)
        probes = try c.decode([ProbeRecord].self, forKey: .probes)
        faults = try c.decode([FaultRecord].self, forKey: .faults)
        consistency = try c.decode([ConsistencyRecord].self, forKey: .consistency)
        targets = try c.decodeIfPresent([TargetResolution].self, forKey: .targets) ?? []
        errors = try c.decode([String].self, forKey: .errors)
    }
}

/// One resolution of a dynamic or random target (`leader`, `pick: 1`, `percent`): the
/// hosts it meant at that moment. Fault steps record every resolution; probes with `each`
/// record one whenever the answer changes (a new leader), so the journal shows who led when.
public struct TargetResolution: Codable, Sendable, Hashable {
    public var t: Double
    public var wall: Date
    public var target: String
    /// How the hosts were chosen, in words: "etcd-leader among members", "pick 1 of web".
    public var how: String
    /// What needed it: a step's path (`method[0]`) or a probe's name.
    public var use: String
    public var hosts: [String]
    public init(t: Double, wall: Date, target: String, how: String, use: String, hosts: [String]) {
        self.t = t; self.wall = wall; self.target = target; self.how = how; self.use = use; self.hosts = hosts
    }
}

public struct PlanSummary: Codable, Sendable, Hashable {
    public var file: String
    public var title: String
    public var description: String?
    public var tags: [String]
    /// The plan's `vars:` and the values this run used (absent when it has none).
    public var variables: [String: String]?
    public init(file: String, title: String, description: String?, tags: [String], variables: [String: String]? = nil) {
        self.file = file; self.title = title; self.description = description; self.tags = tags; self.variables = variables
    }
}

public struct HostSummary: Codable, Sendable, Hashable {
    public var name: String
    public var address: String
    public var agent: String
    public var labels: [String: String]
    public init(name: String, address: String, agent: String, labels: [String: String]) {
        self.name = name; self.address = address; self.agent = agent; self.labels = labels
    }
}

/// How a run ended, and the process exit code that says so (README, "Exit codes").
public enum Outcome: String, Codable, Sendable, Hashable {
    /// The hypothesis held before and after.
    case held
    /// A hypothesis probe deviated, before or after the method.
    case deviated
    /// A guard tripped, or a halt or signal stopped the run.
    case aborted
    /// The plan is invalid.
    case invalid
    /// The run could not start or continue: an agent unreachable, a capability missing.
    case couldNotRun = "could-not-run"

    public var exitCode: Int32 {
        switch self {
        case .held: 0
        case .deviated: 1
        case .aborted: 2
        case .invalid: 3
        case .couldNotRun: 4
        }
    }
}

/// The phases of a run, in order.
public enum RunPhase: String, Codable, Sendable, Hashable, CaseIterable {
    /// `recovery` runs only with `settings.settle`: the after-probes retried until they hold.
    case preflight, before, method, rollbacks, recovery, after, done
}

public struct JournalEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        case phase
        case faultApplied = "fault-applied"
        case faultReverted = "fault-reverted"
        case faultFailed = "fault-failed"
        case probe
        case guardTripped = "guard-tripped"
        case targetResolved = "target-resolved"
        case step
        case signal
        case error
        case note
    }
    public var t: Double
    public var wall: Date
    public var kind: Kind
    public var message: String
    public var host: String?
    public var faultID: String?
    public var phase: RunPhase?
    public init(t: Double, wall: Date, kind: Kind, message: String, host: String? = nil, faultID: String? = nil, phase: RunPhase? = nil) {
        self.t = t; self.wall = wall; self.kind = kind; self.message = message; self.host = host; self.faultID = faultID; self.phase = phase
    }
}

/// One probe (a hypothesis probe or a guard) and every sample taken of it.
public struct ProbeRecord: Codable, Sendable, Hashable {
    public enum Role: String, Codable, Sendable, Hashable { case hypothesis, `guard` }
    public var name: String
    /// http, tcp, command, prometheus, consistency.
    public var kind: String
    public var role: Role
    /// before, during, after, continuous (hypothesis probes); empty for guards.
    public var timings: [String]
    /// For an `each` probe that does not need every host: `any`, `majority` or
    /// `at-least N` — a round (the calls sent together) passes when that many hosts pass.
    /// Absent: every host must pass.
    public var require: String?
    public var samples: [ProbeSample] = []
    public init(name: String, kind: String, role: Role, timings: [String]) {
        self.name = name; self.kind = kind; self.role = role; self.timings = timings
    }
}

public struct ProbeSample: Codable, Sendable, Hashable {
    public var t: Double
    public var wall: Date
    public var phase: RunPhase
    /// The host the probe was run against, for probes with `each`.
    public var host: String?
    public var ok: Bool
    /// The measured value, when the probe has one (status code, latency in ms, query result).
    public var value: Double?
    /// What was expected and what was observed, in words: "status 503, expected 200".
    public var detail: String
    public var durationSeconds: Double
    public init(t: Double, wall: Date, phase: RunPhase, host: String?, ok: Bool, value: Double?, detail: String, durationSeconds: Double) {
        self.t = t; self.wall = wall; self.phase = phase; self.host = host; self.ok = ok; self.value = value; self.detail = detail; self.durationSeconds = durationSeconds
    }
}

/// One fault on one host: when it was asked for, applied and reverted.
public struct FaultRecord: Codable, Sendable, Hashable {
    public var id: String
    /// The step's path in the plan, e.g. `method[0]`.
    public var step: String
    public var stepName: String?
    public var host: String
    public var fault: Fault
    public var requestedAt: Double
    public var appliedAt: Double?
    public var revertedAt: Double?
    /// Why it was reverted, as the agent that reverted it said (docs/agent-api.md, "Revert
    /// reasons"); `instant` for actions with nothing to revert (kill). Absent while applied,
    /// and when the agent kept no record of a fault it no longer held.
    public var revertReason: RevertReason?
    /// When the agent reverted it, on the agent's own clock (RFC 3339 UTC, as it said);
    /// `revertedAt` is the same moment on the run's clock.
    public var agentRevertedAt: String?
    public var error: String?
    public init(id: String, step: String, stepName: String?, host: String, fault: Fault, requestedAt: Double) {
        self.id = id; self.step = step; self.stepName = stepName; self.host = host; self.fault = fault; self.requestedAt = requestedAt
    }
}

/// The verdicts of one consistency probe.
public struct ConsistencyRecord: Codable, Sendable, Hashable {
    public struct Verdict: Codable, Sendable, Hashable {
        /// linearizable, lost-writes, convergence.
        public var check: String
        /// ok, violation, unknown.
        public var result: String
        /// For a violation: the operations that cannot be ordered, in words.
        public var explanation: String?
        /// How long this check of the recorded history took (absent in older journals).
        public var checkSeconds: Double?
        public init(check: String, result: String, explanation: String?, checkSeconds: Double? = nil) {
            self.check = check; self.result = result; self.explanation = explanation; self.checkSeconds = checkSeconds
        }
    }
    public var probe: String
    public var workload: String
    public var operations: Int
    public var ok: Int
    public var failed: Int
    public var indeterminate: Int
    public var verdicts: [Verdict]
    /// Where the recorded history was written (Faultline's JSONL history format).
    public var historyFile: String?
    /// The workload over time: answers, failures and latency per interval, and the longest
    /// failure runs (the unavailability window).
    public var timeline: WorkloadTimeline?
    public init(probe: String, workload: String, operations: Int, ok: Int, failed: Int, indeterminate: Int, verdicts: [Verdict], historyFile: String?) {
        self.probe = probe; self.workload = workload; self.operations = operations; self.ok = ok; self.failed = failed
        self.indeterminate = indeterminate; self.verdicts = verdicts; self.historyFile = historyFile
    }
}
