import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// The HAProxy seed scenarios from Experiments/, run by `faultline run` through real agents
/// against a real HAProxy lab; what each teaches is asserted from its journal.
@Suite(.serialized) struct HAProxyScenarioTests {

    /// Kill one backend: requests routed to it fail with 503 until HAProxy's checks mark it
    /// DOWN, then every request is answered; the detection time is read off the journal.
    @Test(.enabled(if: EndToEndTests.ready, "faultline and faultline-agent must be built (swift build --build-tests builds both)"))
    func backendKillIsDetectedAndTheServiceKeepsAnswering() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .haproxy, agents: true))
        let run = try EffectRun.run("Experiments/haproxy-backend-kill.yaml", lab: lab)
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        let journal = try run.journal()
        #expect(journal.outcome == "held", "\(journal.reason ?? "")")

        let kill = try journal.fault("kill")
        let killedAt = try #require(kill.appliedAt)
        #expect(["n2", "n3"].contains(kill.host))
        let requests = try journal.samples("requests through HAProxy").filter { $0.phase == "method" }
        let before = requests.filter { $0.t < kill.requestedAt }
        #expect(before.count >= 5 && before.allSatisfy { $0.ok }, "steady before the kill: \(before.map(\.detail))")
        let failures = requests.filter { $0.t >= kill.requestedAt && !$0.ok }
        let lastFailure = try #require(failures.last, "no request hit the dead backend: nothing to detect")
        #expect(failures.allSatisfy { $0.detail.contains("status 503") }, "\(failures.map(\.detail))")
        let detection = lastFailure.t + lastFailure.durationSeconds - killedAt
        #expect(detection < 2.5, "inter 500ms × fall 2")
        let afterDetection = requests.filter { $0.t > lastFailure.t }
        #expect(afterDetection.count >= 10 && afterDetection.allSatisfy { $0.ok }, "\(afterDetection.filter { !$0.ok }.map(\.detail))")

        // HAProxy's own statistics say DOWN from about the moment the errors stop.
        let checks = try journal.samples("HAProxy's checks see every backend UP")
        let firstDown = try #require(checks.first { $0.t >= killedAt && !$0.ok }, "the statistics never showed a DOWN server")
        #expect(checks.filter { $0.t < kill.requestedAt }.allSatisfy { $0.ok })
        #expect(firstDown.t >= lastFailure.t - 0.2, "no request failed after HAProxy marked the backend DOWN")
        let log = try String(contentsOfFile: LabHAProxy.proxyLogPath(lab.directory), encoding: .utf8)
        #expect(log.contains("Server backends/\(kill.host) is DOWN"), "\(log.suffix(1500))")

        let after = try journal.samples("the service answers through HAProxy").filter { $0.phase == "after" }
        #expect(!after.isEmpty && after.allSatisfy { $0.ok })
        print("haproxy-backend-kill: \(kill.host) killed; \(failures.count) of \(requests.filter { $0.t >= kill.requestedAt }.count) requests failed (503) "
              + "until +\(detection.s2); statistics DOWN at +\((firstDown.t - killedAt).s2)")
    }

    /// 400 ms on one backend: requests routed to it answer but blow the client's 300 ms
    /// budget until HAProxy's check (timeout check 300ms, fall 2) takes it out; then every
    /// request meets the budget again, and after the fault the backend is back UP.
    @Test(.enabled(if: EndToEndTests.ready, "faultline and faultline-agent must be built (swift build --build-tests builds both)"))
    func slowBackendBlowsTheBudgetUntilTheHealthCheckTakesItOut() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .haproxy, agents: true))
        let run = try EffectRun.run("Experiments/haproxy-backend-latency.yaml", lab: lab)
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        let journal = try run.journal()
        #expect(journal.outcome == "held", "\(journal.reason ?? "")")

        let latency = try journal.fault("latency")
        let applied = try #require(latency.appliedAt), reverted = try #require(latency.revertedAt)
        let probe = try journal.samples("the service answers through HAProxy within the client's budget")
        let method = probe.filter { $0.phase == "method" }
        #expect(method.filter { $0.t < latency.requestedAt }.allSatisfy { $0.ok })
        let inFault = method.filter { $0.t >= applied && $0.t < reverted }
        let overBudget = inFault.filter { !$0.ok }
        let lastSlow = try #require(overBudget.last, "no request went to the slow backend")
        // Slow, not failed: HAProxy's `timeout server 2s` is more patient than the client.
        #expect(overBudget.allSatisfy { $0.detail.contains("expected below 300ms") && ($0.value ?? 0) >= 300 && ($0.value ?? 0) < 2000 },
                "\(overBudget.map(\.detail))")
        let breakerOpen = lastSlow.t + lastSlow.durationSeconds - applied
        // Each failing check waits for its connect (400 ms) and then times out (300 ms); two in a row, 500 ms apart.
        #expect(breakerOpen < 5)
        let meanwhile = inFault.filter { $0.t > lastSlow.t }
        #expect(meanwhile.count >= 10 && meanwhile.allSatisfy { $0.ok }, "within budget once the slow backend is out")

        let checks = try journal.samples("HAProxy's checks see every backend UP")
        #expect(checks.contains { !$0.ok && $0.t >= applied && $0.t <= reverted + 0.5 }, "HAProxy marked the slow backend DOWN")
        let log = try String(contentsOfFile: LabHAProxy.proxyLogPath(lab.directory), encoding: .utf8)
        let down = try #require(log.split(separator: "\n").first { $0.contains("Server backends/\(latency.host) is DOWN") }, "\(log.suffix(1500))")
        print("haproxy: \(down)")
        #expect(log.contains("Server backends/\(latency.host) is UP"), "back after the fault (rise 2)")
        #expect(probe.filter { $0.phase == "after" }.allSatisfy { $0.ok })
        let slowMs = overBudget.compactMap(\.value)
        print("haproxy-backend-latency: \(latency.host) +400 ms; \(overBudget.count) requests over the 300 ms budget "
              + "(\(slowMs.min()?.ms ?? "-")–\(slowMs.max()?.ms ?? "-")) until +\(breakerOpen.s2); then \(meanwhile.count) within budget")
    }
}
