import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation
import Synchronization

/// What a run needs besides the plan: the seed, the run's short id (in fault ids and
/// workload keys) and where consistency histories go.
public struct RunConfiguration: Sendable {
    public var seed: UInt64
    public var runShort: String
    /// Folder for consistency histories (beside the journal); nil keeps them in memory only.
    public var historyDirectory: String?
    /// File name prefix of histories, e.g. the journal's base name.
    public var historyPrefix: String

    public init(seed: UInt64, runShort: String, historyDirectory: String?, historyPrefix: String = "faultline") {
        self.seed = seed; self.runShort = runShort; self.historyDirectory = historyDirectory; self.historyPrefix = historyPrefix
    }
}

/// Carries out one plan against the agents: preflight, hypothesis before, method under
/// guards and lease renewal, revert, rollbacks, hypothesis after, outcome.
///
/// Every fault is reverted on every path: after its duration; at once when a guard trips,
/// a signal arrives or an agent fails (`RunControl` → `revertEverything`); and a last pass
/// before the outcome. Should this process die, the agents revert by lease.
public final class RunEngine: Sendable {
    public let plan: Plan
    public let inventory: Inventory
    let clients: [String: any AgentClient]
    public let configuration: RunConfiguration
    let clock: any RunClock
    public let book: JournalBook
    public let control = RunControl()
    let targets: RunTargets
    let active = ActiveFaults()
    /// The hosts each dynamic or random target last resolved to (`resolve`'s "only when it changed").
    let lastResolved = Mutex<[String: [String]]>([:])
    private let sequence = Mutex(0)
    /// Index of each hypothesis probe / guard in the journal's probe list.
    let hypothesisIndex: [Int]
    let guardIndex: [Int]

    /// - Parameters:
    ///   - clients: an agent client per inventory host name.
    ///   - dynamic: how `from: …, probe: …` targets are answered (the service itself by default).
    ///   - observer: sees every journal event and probe sample as it happens (the live view).
    ///   - journalSink: where the journal is written as the run goes (the journal file).
    public init(plan: Plan, inventory: Inventory, clients: [String: any AgentClient], configuration: RunConfiguration,
                clock: any RunClock = SystemRunClock(), dynamic: (any DynamicTargetResolving)? = nil,
                observer: (any RunObserver)? = nil, journalSink: (any JournalSink)? = nil) {
        self.plan = plan
        self.inventory = inventory
        self.clients = clients
        self.configuration = configuration
        self.clock = clock
        targets = RunTargets(plan: plan, inventory: inventory, seed: configuration.seed,
                             dynamic: dynamic ?? ServiceTargetResolver(timeout: plan.settings.probeTimeout))
        let variables = plan.variables.isEmpty ? nil : Dictionary(plan.variables.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        var journal = Journal(plan: PlanSummary(file: plan.file, title: plan.title, description: plan.description, tags: plan.tags, variables: variables),
                              seed: configuration.seed, startedAt: clock.wall())
        journal.hosts = inventory.hosts.map { HostSummary(name: $0.name, address: $0.address, agent: $0.agent, labels: $0.labels) }
        var h: [Int] = [], g: [Int] = []
        for p in plan.steadyState {
            let timings = p.probe.kindName == "consistency" ? ["during"] : p.when.sorted().map(\.rawValue)
            journal.probes.append(ProbeRecord(name: p.name, kind: p.probe.kindName, role: .hypothesis, timings: timings))
            journal.probes[journal.probes.count - 1].require = p.probe.require.journalText
            h.append(journal.probes.count - 1)
        }
        for gd in plan.guards {
            journal.probes.append(ProbeRecord(name: gd.name, kind: gd.probe.kindName, role: .guard, timings: []))
            journal.probes[journal.probes.count - 1].require = gd.probe.require.journalText
            g.append(journal.probes.count - 1)
        }
        hypothesisIndex = h
        guardIndex = g
        book = JournalBook(journal: journal, clock: clock, observer: observer, sink: journalSink)
    }

    /// SIGINT/SIGTERM arrived (call from the signal handler's queue).
    public func interrupt(signal name: String) {
        control.signal(name)
        Task { await book.event(.signal, "\(name) received" + (control.signalCount > 1 ? ": reverting only, then exiting" : ": stopping; reverting every fault, then rollbacks")) }
    }

    func nextSequence() -> Int { sequence.withLock { $0 += 1; return $0 } }

    /// Runs the plan to its end and answers the journal (outcome set).
    public func run() async -> Journal {
        var facts = OutcomeFacts()
        control.setOnAbort { [self] stop in
            Task { await self.revertEverything(reason: stop.revertReason, note: stop.reason) }
        }
        await book.event(.note, "run \(configuration.runShort), seed \(configuration.seed), \(inventory.hosts.count) host(s), lease \(plan.settings.lease)")

        // Preflight: nothing is touched before every involved agent says it can do its part.
        await book.enter(.preflight)
        if let problem = await preflight() {
            facts.preflightFailure = problem
            await book.error(problem)
            return await finish(facts)
        }

        // Workloads over the whole run start before the first check.
        var runWorkloads: [(Int, ConsistencyProbeRunner)] = []
        var methodWorkloads: [(Int, ConsistencyProbeRunner)] = []
        do {
            runWorkloads = try await startWorkloads(span: .run)
        } catch {
            facts.preflightFailure = "\(error)"
            await book.error("\(error)")
            return await finish(facts)
        }

        await book.enter(.before)
        if control.stop == nil {
            facts.deviatedBefore = await hypothesis(.before)
        }
        var methodRan = false
        if !facts.deviatedBefore.isEmpty {
            await book.event(.note, "the hypothesis deviated before the method: nothing will be injected")
        } else if control.stop == nil {
            do {
                methodWorkloads = try await startWorkloads(span: .method)
            } catch {
                facts.agentFailure = "\(error)"
                await book.error("\(error)")
            }
            if facts.agentFailure == nil {
                methodRan = true
                facts.agentFailure = await method()
            }
        }
        // Every fault reverted, whatever happened above (idempotent).
        await revertEverythingAndSettle(reason: control.stop?.revertReason ?? (facts.agentFailure != nil ? .abort : .duration))
        for (index, runner) in methodWorkloads { facts.consistencyViolations += await finishWorkload(index, runner) }

        if methodRan && !control.revertOnly && !plan.rollbacks.isEmpty {
            await book.enter(.rollbacks)
            await runPhase { [self] in
                for step in plan.rollbacks {
                    do { try await runStep(step, iteration: nil) } catch is CancellationError { return } catch {
                        await book.error("rollback \(step.path) failed: \(error)")
                    }
                }
            }
        }
        if !control.revertOnly && facts.deviatedBefore.isEmpty && facts.preflightFailure == nil {
            if plan.settings.settle > .zero { await runPhase { [self] in await awaitRecovery() } }
            await book.enter(.after)
            let deviated = Mutex<[String]>([])
            await runPhase { [self] in let d = await hypothesis(.after); deviated.withLock { $0 = d } }
            facts.deviatedAfter = deviated.withLock { $0 }
        }
        for (index, runner) in runWorkloads { facts.consistencyViolations += await finishWorkload(index, runner) }
        return await finish(facts)
    }

    /// The `recovery` phase: the after-probes, retried every second until they all hold or
    /// `settings.settle` has passed. Their samples are the recovery's, not the verdict's:
    /// the `after` phase that follows checks once more for that.
    func awaitRecovery() async {
        await book.enter(.recovery)
        let start = clock.now()
        let deadline = start + plan.settings.settle.seconds
        var round = 0
        while !Task.isCancelled {
            round += 1
            let failing = await hypothesis(.after)
            if failing.isEmpty {
                await book.event(.note, String(format: "recovered: the after-probes hold %.1f s after the faults were reverted (try %d)", clock.now() - start, round))
                return
            }
            if clock.now() + 1 > deadline {
                await book.event(.note, "not recovered within settle \(plan.settings.settle): still failing: \(failing.joined(separator: ", "))")
                return
            }
            do { try await clock.sleep(seconds: 1) } catch { return }
        }
    }

    /// Runs a phase as the current task, so a second signal can cancel it.
    func runPhase(_ body: @escaping @Sendable () async -> Void) async {
        let task = Task { await body() }
        control.setCurrent(task)
        await task.value
        control.setCurrent(nil)
    }

    func finish(_ facts: OutcomeFacts) async -> Journal {
        var facts = facts
        if let stop = control.stop { facts.abortReason = stop.reason }
        let outstanding = await active.outstanding()
        if !outstanding.isEmpty {
            await book.error("not confirmed reverted (their agents revert them when the lease of \(plan.settings.lease) runs out): "
                             + outstanding.map { "\($0.id) on \($0.host.name)" }.joined(separator: ", "))
        }
        let (outcome, reason) = OutcomeDecision.decide(facts)
        await book.finish(outcome, reason: reason)
        return await book.journal
    }
}
