import FaultlineCore
import FaultlinePlan
import Foundation

extension RunEngine {
    /// Calls a probe once, against the hosts of its `each` target now (all at once), and
    /// answers when the calls were sent (run clock) with what they saw. A target that
    /// cannot be resolved (no etcd leader right now) is a failed observation, not a crash.
    func observe(_ probe: Probe, name: String) async -> (sent: Double, observations: [ProbeObservation]) {
        let sent = clock.now()
        var hosts: [Host]?
        if let each = probe.each {
            do { hosts = try await resolve([each], iteration: nil, use: "probe '\(name)'", everyTime: false)[each] } catch {
                return (sent, [ProbeObservation(host: nil, ok: false, value: nil, detail: "cannot resolve '\(each)': \(error)",
                                                durationSeconds: clock.now() - sent)])
            }
        }
        return (sent, await HealthProbe.run(probe, hosts: hosts, defaultTimeout: plan.settings.probeTimeout))
    }

    /// Checks the hypothesis probes of a timing (before or after; `continuous` ones too),
    /// all at once. Answers the names of those that failed.
    func hypothesis(_ timing: ProbeTiming) async -> [String] {
        let chosen = plan.steadyState.enumerated().filter { $0.element.when.contains(timing) || $0.element.when.contains(.continuous) }
        let results = await withTaskGroup(of: (Int, Double, [ProbeObservation]).self) { group in
            for (i, p) in chosen { group.addTask { let (sent, o) = await self.observe(p.probe, name: p.name); return (i, sent, o) } }
            var out: [(Int, Double, [ProbeObservation])] = []
            for await r in group { out.append(r) }
            return out.sorted { $0.0 < $1.0 }
        }
        var failed: [String] = []
        for (i, sent, observations) in results {
            for o in observations { await book.sample(hypothesisIndex[i], o, sentAt: sent) }
            if !HealthProbe.passes(plan.steadyState[i].probe, observations) { failed.append(plan.steadyState[i].name) }
        }
        return failed
    }

    /// Samples a `during`/`continuous` probe every `every` while the method runs. Recorded
    /// and reported; never aborts (that is what guards are for).
    func sampleDuring(_ p: HypothesisProbe, index: Int) async {
        var next = clock.now()
        while !Task.isCancelled {
            let (sent, observations) = await observe(p.probe, name: p.name)
            if Task.isCancelled { return }
            for o in observations { await book.sample(index, o, sentAt: sent) }
            next = max(next + p.every.seconds, clock.now())
            do { try await clock.sleep(until: next) } catch { return }
        }
    }

    /// Checks a guard every `every` while the method runs; when it has failed for
    /// `grace`, stops the run (every fault reverted at once) and returns.
    func watchGuard(_ g: Guard, index: Int) async {
        var state = GuardState(graceSeconds: g.grace.seconds)
        var next = clock.now()
        while !Task.isCancelled {
            let (sent, observations) = await observe(g.probe, name: g.name)
            if Task.isCancelled { return }
            let t = clock.now()
            for o in observations { await book.sample(index, o, sentAt: sent) }
            let failing = observations.filter { !$0.ok }
            if state.record(ok: HealthProbe.passes(g.probe, observations), at: t) {
                let detail = failing.map { ($0.host.map { "\($0): " } ?? "") + $0.detail }.joined(separator: "; ")
                let grace = g.grace > .zero ? " for \(g.grace)" : ""
                await book.event(.guardTripped, "guard '\(g.name)' failed\(grace): \(detail)")
                control.abort("guard '\(g.name)' tripped: \(detail)", revertReason: .guardTripped)
                return
            }
            next = max(next + g.every.seconds, clock.now())
            do { try await clock.sleep(until: next) } catch { return }
        }
    }

    /// Starts the consistency workloads recorded over `span`.
    func startWorkloads(span: WorkloadSpan) async throws -> [(Int, ConsistencyProbeRunner)] {
        var out: [(Int, ConsistencyProbeRunner)] = []
        for (i, p) in plan.steadyState.enumerated() {
            guard case .consistency(let c) = p.probe, c.during == span else { continue }
            let hosts = try await resolve([c.target], iteration: nil, use: "consistency '\(p.name)'", everyTime: true)[c.target] ?? []
            var rng = SeededGenerator(seed: configuration.seed, purpose: "workload:" + p.name)
            let runner = try ConsistencyProbeRunner(name: p.name, probe: c, hosts: hosts,
                                                    keyPrefix: "fl-\(configuration.runShort)-\(i)-k", seed: rng.next())
            runner.start(runTime: clock.now())
            await book.event(.note, "consistency '\(p.name)': \(c.clients) \(c.workload.rawValue) client(s) started on \(hosts.map(\.name).joined(separator: ", "))")
            out.append((hypothesisIndex[i], runner))
        }
        return out
    }

    /// Stops a workload, checks its history, records the verdicts. Answers the violations.
    func finishWorkload(_ index: Int, _ runner: ConsistencyProbeRunner) async -> [String] {
        let file = configuration.historyDirectory.map { dir in
            "\(dir)/\(configuration.historyPrefix).\(FaultID.sanitize(runner.name)).history.jsonl"
        }
        let started = clock.now()
        let record = await runner.finish(historyFile: file)
        await book.addConsistency(record)
        let violations = record.verdicts.filter { $0.result == "violation" }
        var summary = record.verdicts.map { "\($0.check) \($0.result)" }.joined(separator: ", ")
        if let outage = record.timeline?.longestFailureRun {
            summary += String(format: "; longest failure run %.2f s", outage.seconds) + " (\(outage.operations) operations) from \(RenderFormat.offset(outage.start))"
        }
        let o = ProbeObservation(host: nil, ok: violations.isEmpty, value: Double(record.operations),
                                 detail: "\(record.operations) operations (\(record.ok) ok, \(record.failed) failed, \(record.indeterminate) indeterminate); \(summary)"
                                    + (violations.first?.explanation.map { ": " + $0 } ?? ""),
                                 durationSeconds: clock.now() - started)
        await book.sample(index, o, sentAt: started, phase: .after)
        return violations.map { "\(runner.name): \($0.check)" }
    }
}
