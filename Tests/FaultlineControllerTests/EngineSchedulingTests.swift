import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation
import Testing
@testable import FaultlineController

/// The engine's control flow against in-memory agents: what is (not) touched on each
/// path, in which order. Real kernels and real agents: EndToEndTests.
@Suite("Run engine paths (in-memory agents)")
struct EngineSchedulingTests {
    func run(_ body: String, hosts: Int = 2, prepare: ([String: FakeAgent]) -> Void = { _ in }) async throws -> (Journal, [String: FakeAgent]) {
        let plan = try TestPlans.parse("version: 1\ntitle: t\n" + TestPlans.inventory(hosts) + body)
        guard case .inline(let inventory) = plan.inventory else { throw TestPlans.Invalid(description: "inline inventory expected") }
        let agents = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, FakeAgent($0.name)) })
        prepare(agents)
        let engine = RunEngine(plan: plan, inventory: inventory, clients: agents,
                               configuration: RunConfiguration(seed: 1, runShort: "t0", historyDirectory: nil))
        return (await engine.run(), agents)
    }

    static let partition = """
    targets: { db: { labels: { role: db } }, one: { names: [n1] } }
    method:
      - partition: { isolate: one, from: db, duration: 300ms }
    """

    @Test func aDeviationBeforeTheMethodInjectsNothingAndExitsOne() async throws {
        let (journal, agents) = try await run("""
        steady-state:
          - name: always fails
            probe: { command: { argv: [/bin/false] } }
        \(Self.partition)
        """)
        #expect(journal.outcome == .deviated)
        #expect(journal.outcome?.exitCode == 1)
        #expect(journal.reason?.contains("'always fails'") == true)
        #expect(journal.faults.isEmpty)
        for a in agents.values { #expect(!a.calls.contains { $0.hasPrefix("apply") }, "\(a.calls)") }
        #expect(!journal.events.contains { $0.kind == .phase && $0.phase == .method })
        let samples = journal.probes[0].samples
        #expect(samples.count == 1 && samples[0].phase == .before && !samples[0].ok)
        #expect(samples[0].detail.contains("exit 1, expected 0"))
    }

    @Test func aMissingCapabilityIsRefusedBeforeAnythingIsTouched() async throws {
        let (journal, agents) = try await run(Self.partition) { agents in
            agents["n2"]!.state.withLock { $0.unavailable[.partition] = "nftables is missing (no nf_tables in this kernel)" }
        }
        #expect(journal.outcome == .couldNotRun)
        #expect(journal.reason?.contains("host n2 cannot carry out method[0] (partition): nftables is missing") == true, "\(journal.reason ?? "")")
        for a in agents.values { #expect(a.calls == ["capabilities"]) }
    }

    @Test func anUnreachableAgentIsCouldNotRunNamingTheHost() async throws {
        let (journal, _) = try await run(Self.partition) { agents in agents["n1"]!.state.withLock { $0.unreachable = true } }
        #expect(journal.outcome == .couldNotRun)
        #expect(journal.reason?.contains("host n1: cannot ask its agent") == true, "\(journal.reason ?? "")")
    }

    @Test func aGuardTrippingWhileAnApplyIsInFlightStillRevertsThatFault() async throws {
        let started = ContinuousClock.now
        let (journal, agents) = try await run("""
        guards:
          - name: never healthy
            probe: { command: { argv: [/bin/false] } }
            every: 50ms
        targets: { db: { labels: { role: db } }, one: { names: [n1] } }
        method:
          - partition: { isolate: one, from: db, duration: 30s }
        """) { agents in agents["n1"]!.state.withLock { $0.applyDelay = .milliseconds(400) } }
        #expect(journal.outcome == .aborted)
        #expect(journal.outcome?.exitCode == 2)
        #expect(journal.reason?.contains("guard 'never healthy' tripped") == true)
        // Judged on the run's own clock: wall time here includes other tests' stalls.
        #expect(journal.faults.allSatisfy { ($0.revertedAt ?? .infinity) < 5 }, "the 30 s fault must not be waited out")
        _ = started
        for a in agents.values { #expect(a.held.isEmpty, "\(a.endpoint.name) still holds \(a.held.keys)") }
        // n1's revert came only after its slow apply returned.
        let n1 = agents["n1"]!.calls
        #expect(n1.firstIndex { $0.hasPrefix("apply") }! < n1.firstIndex { $0.hasPrefix("revert") }!)
        #expect(journal.faults.allSatisfy { $0.revertedAt != nil && $0.revertReason == .guardTripped }, "\(journal.faults.map { ($0.host, $0.revertReason?.rawValue ?? "-") })")
        #expect(journal.events.contains { $0.kind == .guardTripped })
    }

    @Test func leasesAreRenewedInBatchesAndAFaultLostBehindOurBackAbortsTheRun() async throws {
        let (journal, agents) = try await run("""
        targets: { db: { labels: { role: db } }, one: { names: [n1] } }
        method:
          - partition: { isolate: one, from: db, duration: 2s }
        settings: { lease: 1s }
        """)
        #expect(journal.outcome == .held, "\(journal.reason ?? "")")
        let renewals = agents["n1"]!.renewals
        #expect(renewals.count >= 4, "\(renewals)")
        #expect(renewals.allSatisfy { $0 == ["fl-t0-1-n1"] })

        let (halted, _) = try await run("""
        targets: { db: { labels: { role: db } }, one: { names: [n1] } }
        method:
          - partition: { isolate: one, from: db, duration: 20s }
        settings: { lease: 1s }
        """) { agents in agents["n2"]!.state.withLock { $0.forgetOnRenew = true } }
        #expect(halted.outcome == .aborted)
        #expect(halted.reason?.contains("reverted by their agent on n2 (lease-expired)") == true, "\(halted.reason ?? "")")
        // n2's reason and time are the agent's own record; n1's fault was reverted by the
        // run's abort (not journalled as a halt nobody asked for).
        let lost = try #require(halted.faults.first { $0.host == "n2" })
        #expect(lost.revertReason == .leaseExpired && lost.agentRevertedAt != nil, "\(lost)")
        #expect(halted.faults.first { $0.host == "n1" }?.revertReason == .abort)
    }

    @Test func repeatEveryStartsIterationsOnSchedule() async throws {
        let (journal, _) = try await run("""
        targets: { one: { names: [n1] } }
        method:
          - repeat:
              times: 3
              every: 300ms
              steps:
                - kill: { target: one, process: etcd }
        """)
        #expect(journal.outcome == .held, "\(journal.reason ?? "")")
        let applied = journal.faults.compactMap(\.appliedAt)
        #expect(applied.count == 3)
        #expect(Set(journal.faults.map(\.id)).count == 3, "each iteration gets its own fault id")
        for (i, t) in applied.enumerated() where i > 0 {
            let gap = t - applied[i - 1]
            #expect(gap > 0.25 && gap < 0.45, "iteration gap \(gap)")
        }
    }

    @Test func rollbacksRunAfterTheRevertAndAfterAnAbort() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fl-ct-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (journal, _) = try await run("""
        guards:
          - name: never healthy
            probe: { command: { argv: [/bin/false] } }
        targets: { one: { names: [n1] } }
        method:
          - partition: { isolate: one, duration: 10s }
        rollbacks:
          - command: { argv: [/usr/bin/touch, "\(dir)/rolled-back"] }
        """)
        #expect(journal.outcome == .aborted)
        #expect(FileManager.default.fileExists(atPath: dir + "/rolled-back"))
        let order = journal.events.filter { $0.kind == .phase }.compactMap(\.phase)
        #expect(order == [.preflight, .before, .method, .rollbacks, .after, .done])
        let lastRevert = journal.faults.compactMap(\.revertedAt).max() ?? .infinity
        let rollbackStart = journal.events.first { $0.kind == .phase && $0.phase == .rollbacks }!.t
        #expect(lastRevert <= rollbackStart)
    }
}
