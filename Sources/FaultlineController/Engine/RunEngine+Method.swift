import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation
import Synchronization

/// A failure that stops the method: an agent refused or could not be reached, or a
/// target could not be resolved. The run ends `could-not-run` after reverting.
struct MethodFailure: Error, CustomStringConvertible {
    var description: String
}

extension RunEngine {
    /// The method under guards, during-samplers and lease renewal. Answers the agent
    /// failure that stopped it, if any.
    func method() async -> String? {
        await book.enter(.method)
        let failure = Mutex<String?>(nil)
        let methodTask = Task { [self] in
            do {
                for step in plan.method { try await runStep(step, iteration: nil) }
            } catch is CancellationError {
            } catch {
                failure.withLock { $0 = "\(error)" }
                await book.error("\(error)")
                // Stop the other branches of a parallel step and revert now.
                control.abort("an agent failed: \(error)", revertReason: .abort, agentFailure: true)
            }
        }
        control.setCurrent(methodTask)
        // Watchers: each its own task, all cancelled when the method ends.
        var watchers: [Task<Void, Never>] = []
        watchers.append(Task { [self] in await renewLeases() })
        for (i, g) in plan.guards.enumerated() {
            watchers.append(Task { [self] in await watchGuard(g, index: guardIndex[i]) })
        }
        for (i, p) in plan.steadyState.enumerated() where p.when.contains(.during) || p.when.contains(.continuous) {
            watchers.append(Task { [self] in await sampleDuring(p, index: hypothesisIndex[i]) })
        }
        await methodTask.value
        control.setCurrent(nil)
        // Guards and samplers stop with the method; lease renewal goes on until every
        // fault is confirmed reverted, so an in-flight apply cannot outlive its lease early.
        for w in watchers.dropFirst() { w.cancel() }
        await revertEverythingAndSettle(reason: control.stop?.revertReason ?? .duration)
        watchers[0].cancel()
        for w in watchers { await w.value }
        let agentFailure = failure.withLock { $0 }
        // A stop by guard or signal is not an agent failure, even if the agent call it
        // interrupted failed.
        if let stop = control.stop, !stop.agentFailure { return nil }
        return agentFailure
    }

    func runStep(_ step: Step, iteration: Int?) async throws {
        try Task.checkCancellation()
        switch step.kind {
        case .wait(let span):
            await book.event(.step, "\(step.path): wait \(span)")
            try await clock.sleep(seconds: span.seconds)
        case .sequence(let steps):
            for s in steps { try await runStep(s, iteration: iteration) }
        case .parallel(let steps):
            try await withThrowingTaskGroup(of: Void.self) { group in
                for s in steps { group.addTask { try await self.runStep(s, iteration: iteration) } }
                try await group.waitForAll()
            }
        case .repeatSteps(let times, let every, let steps):
            var start = clock.now()
            for i in 0..<times {
                if i > 0 { try await clock.sleep(until: start) }
                let began = clock.now()
                await book.event(.step, "\(step.path): iteration \(i + 1) of \(times)")
                for s in steps { try await runStep(s, iteration: i) }
                start = RepeatSchedule.nextStart(previousStart: began, previousEnd: clock.now(), every: every?.seconds)
            }
        case .action(let action):
            await runAction(action, step: step)
        case .fault(let f):
            try await runFault(f, step: step, iteration: iteration)
        }
    }

    /// Applies a fault step on all its hosts at once, holds it for its duration, reverts it.
    func runFault(_ f: FaultStep, step: Step, iteration: Int?) async throws {
        let names = FaultAssignment.targetNames(of: f)
        let hostsOf: [String: [Host]]
        do { hostsOf = try await resolve(names, iteration: iteration, use: step.path, everyTime: true) } catch is CancellationError { throw CancellationError() } catch {
            throw MethodFailure(description: "\(step.path): \(error)")
        }
        let assigned: [HostFault]
        do {
            assigned = try FaultAssignment.assign(f, stepPath: step.path, hostsOf: hostsOf, inventory: inventory, seed: configuration.seed,
                                                  runShort: configuration.runShort, sequence: nextSequence())
        } catch {
            throw MethodFailure(description: error.description)
        }
        let what = FaultText.describe(f.fault, target: f.target)
        let span = f.duration.map { " for \($0)" } ?? ""
        guard !assigned.isEmpty else {
            await book.event(.step, "\(step.path): \(what): no host affected\(span)")
            if let d = f.duration { try await clock.sleep(seconds: d.seconds) }
            return
        }
        await book.event(.step, "\(step.path): \(what) on \(assigned.map(\.host.name).joined(separator: ", "))\(span)")
        try Task.checkCancellation()
        try await applyAll(assigned, step: step)
        if f.fault.kind.isInstant { return }
        let started = clock.now()
        if let d = f.duration { try await clock.sleep(until: started + d.seconds) }
        await revert(await active.takeForRevert(assigned.map(\.id), reason: .duration), reason: .duration)
    }

    /// Actions run on the controller host; a failing action is recorded, not fatal (the
    /// hypothesis decides whether the system coped).
    func runAction(_ action: Action, step: Step) async {
        let timeout = plan.settings.probeTimeout
        switch action {
        case .command(let argv, let t):
            await book.event(.step, "\(step.path): run \(argv.joined(separator: " "))")
            let seconds = (t ?? timeout).seconds
            let o = await Blocking.run("fl-action") { CommandProbeRunner.observe(argv: argv, exitCode: 0, stdout: nil, timeoutSeconds: seconds) }
            if o.ok { await book.event(.note, "\(step.path): \(o.detail)") } else { await book.error("\(step.path): action failed: \(o.detail)") }
        case .http(let url, let method, let body, let t):
            await book.event(.step, "\(step.path): \(method) \(url)")
            let seconds = (t ?? timeout).seconds
            let result = await Blocking.run("fl-action") { HTTPProbeRunner.exchange(method, url, headers: [:], body: body, timeoutSeconds: seconds) }
            switch result {
            case .success(let (response, latency)) where (200..<400).contains(response.status):
                await book.event(.note, "\(step.path): status \(response.status) in \(String(format: "%.1f", latency * 1000)) ms")
            case .success(let (response, _)):
                await book.error("\(step.path): action failed: status \(response.status) from \(method) \(url)")
            case .failure(let problem):
                await book.error("\(step.path): action failed: \(problem.detail)")
            }
        }
    }
}
