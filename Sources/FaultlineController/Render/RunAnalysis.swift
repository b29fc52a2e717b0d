import FaultlinePlan

/// What the renderers read off a journal: which phases ran and when, and one verdict per
/// hypothesis probe per timing, per guard and per consistency check. Pure; shared by the
/// JUnit writer and the HTML report so the two can never disagree about a verdict.
struct RunAnalysis {
    /// One checked promise: a hypothesis probe at one timing, a guard, or a consistency check.
    struct Check {
        enum Status: Equatable {
            case passed
            /// `message` is one line (the first deviation and a count); `details` lists every failing sample.
            case failed(message: String, details: [String])
            case skipped(reason: String)
        }
        /// `hypothesis.before`, `hypothesis.after`, `hypothesis.during`, `guard`, `consistency`.
        var group: String
        var name: String
        var timing: String?
        var samples: [ProbeSample]
        var status: Status
        /// The time the journal measured for it, when it did (a consistency verdict's own check).
        var measuredSeconds: Double? = nil
        /// What JUnit reports as its time: the measured one, else its samples' durations.
        var seconds: Double { measuredSeconds.map { max(0, $0) } ?? samples.reduce(0) { $0 + max(0, $1.durationSeconds) } }
    }

    struct PhaseSpan: Equatable {
        var phase: RunPhase
        var start: Double
        var end: Double
    }

    let journal: Journal
    /// The phases the engine entered, in order, with when each began and ended.
    let phases: [PhaseSpan]
    /// The latest time anything happened (seconds since the start).
    let endT: Double

    init(_ journal: Journal) {
        self.journal = journal
        var latest = 0.0
        for e in journal.events { latest = max(latest, e.t) }
        for p in journal.probes { for s in p.samples { latest = max(latest, s.t + max(0, s.durationSeconds)) } }
        for f in journal.faults { latest = max(latest, f.requestedAt, f.appliedAt ?? 0, f.revertedAt ?? 0) }
        if let ended = journal.endedAt { latest = max(latest, ended.timeIntervalSince(journal.startedAt)) }
        endT = latest
        let starts = journal.events.filter { $0.kind == .phase }.compactMap { e in e.phase.map { ($0, e.t) } }
        var spans: [PhaseSpan] = []
        for (i, (phase, start)) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1].1 : latest
            spans.append(PhaseSpan(phase: phase, start: start, end: max(start, end)))
        }
        phases = spans
    }

    func reached(_ phase: RunPhase) -> Bool { phases.contains { $0.phase == phase } }

    /// `continuous` means before, during and after (docs/plan-format.md), and each of
    /// those is its own verdict: a probe that held before and failed during reads as such.
    static func expand(_ timings: [String]) -> [String] {
        var out: [String] = []
        for timing in timings {
            for t in timing == "continuous" ? ["before", "during", "after"] : [timing] where !out.contains(t) { out.append(t) }
        }
        return out
    }

    /// The phases whose samples answer for a timing.
    static func phases(forTiming timing: String) -> Set<RunPhase> {
        switch timing {
        case "before": [.before]
        case "after": [.after]
        case "during": [.method]
        default: [.before, .method, .rollbacks, .after]
        }
    }

    /// The phase a timing needs to have run for its verdict to exist.
    static func requiredPhase(forTiming timing: String) -> RunPhase {
        switch timing {
        case "before": .before
        case "after": .after
        default: .method
        }
    }

    /// Why a phase did not run, in a sentence, from the outcome and its reason.
    func notReached(_ phase: RunPhase) -> String {
        var text = "the \(phase.rawValue) phase did not run"
        if let outcome = journal.outcome { text += ": the run ended \(outcome.rawValue)" }
        if let reason = journal.reason, !reason.isEmpty { text += " (\(reason))" }
        return text
    }

    /// Every check, hypothesis probes first (in plan order, each timing in plan order), then
    /// guards, then consistency verdicts.
    var checks: [Check] {
        var out: [Check] = []
        // A consistency probe is judged by its checker's verdicts (below), not by samples
        // per timing: its one sample is the check's summary, taken after the workload.
        for probe in journal.probes where probe.role == .hypothesis && probe.kind != "consistency" {
            for timing in Self.expand(probe.timings) {
                let wanted = Self.phases(forTiming: timing)
                let samples = probe.samples.filter { wanted.contains($0.phase) }
                out.append(Check(group: "hypothesis.\(timing)", name: probe.name, timing: timing, samples: samples,
                                 status: status(samples, required: Self.requiredPhase(forTiming: timing), what: timing,
                                                require: HostRequirement(journalText: probe.require))))
            }
        }
        for probe in journal.probes where probe.role == .guard {
            out.append(Check(group: "guard", name: probe.name, timing: nil, samples: probe.samples,
                             status: status(probe.samples, required: .method, what: "guard", require: HostRequirement(journalText: probe.require))))
        }
        for probe in journal.probes where probe.kind == "consistency" && !journal.consistency.contains(where: { $0.probe == probe.name }) {
            out.append(Check(group: "consistency", name: probe.name, timing: nil, samples: [],
                             status: .skipped(reason: reached(.method) ? "the workload's history was never checked: the run ended first"
                                                                       : notReached(.method))))
        }
        for record in journal.consistency {
            // The check's time is the duration of the probe's summary sample.
            let summary = journal.probes.first { $0.name == record.probe && $0.kind == "consistency" }?.samples ?? []
            for (i, verdict) in record.verdicts.enumerated() {
                let status: Check.Status
                switch verdict.result {
                case "ok": status = .passed
                case "violation":
                    let explanation = verdict.explanation ?? "no explanation recorded"
                    status = .failed(message: "\(verdict.check) violated: " + (explanation.split(separator: "\n").first.map(String.init) ?? explanation),
                                     details: explanation.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
                default:
                    status = .skipped(reason: "the checker could not decide (\(verdict.result))" + (verdict.explanation.map { ": \($0)" } ?? ""))
                }
                // Each verdict's own check time when the journal has it; older journals have one
                // summary sample for all the checks, counted on the first verdict.
                out.append(Check(group: "consistency", name: "\(record.probe): \(verdict.check)", timing: nil,
                                 samples: i == 0 ? summary : [], status: status, measuredSeconds: verdict.checkSeconds))
            }
        }
        return out
    }

    private func status(_ samples: [ProbeSample], required: RunPhase, what: String, require: HostRequirement) -> Check.Status {
        if samples.isEmpty {
            return reached(required) ? .skipped(reason: "no sample was taken (\(what)) although the \(required.rawValue) phase ran")
                                     : .skipped(reason: notReached(required))
        }
        if require != .all {
            // Judged round by round, as the engine judged it: the calls sent together (one
            // send time) pass when enough of their hosts passed.
            let rounds = Dictionary(grouping: samples, by: \.t).sorted { $0.key < $1.key }.map(\.value)
            let failed = rounds.filter { round in !require.isMet(passed: round.count { $0.ok }, of: round.count) }
            guard let first = failed.first, let sample = first.first(where: { !$0.ok }) ?? first.first else { return .passed }
            let count = failed.count == rounds.count ? "all \(rounds.count) rounds" : "\(failed.count) of \(rounds.count) rounds"
            return .failed(message: "\(require) of the hosts did not pass in \(count); first at \(Self.describe(sample))",
                           details: failed.flatMap { $0.filter { !$0.ok } }.map(Self.describe))
        }
        let failing = samples.filter { !$0.ok }
        guard let first = failing.first else { return .passed }
        let count = samples.count == 1 ? "its only sample" : failing.count == samples.count ? "all \(samples.count) samples" : "\(failing.count) of \(samples.count) samples"
        let message = "deviated in \(count); first at \(Self.describe(first))"
        return .failed(message: message, details: failing.map(Self.describe))
    }

    /// `t+12.300s on n2 (method): status 503, expected 200`
    static func describe(_ s: ProbeSample) -> String {
        RenderFormat.offset(s.t) + (s.host.map { " on \($0)" } ?? "") + " (\(s.phase.rawValue)): " + s.detail
    }
}
