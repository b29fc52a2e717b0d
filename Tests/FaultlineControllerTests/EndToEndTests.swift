#if canImport(Glibc)
import FaultlineTestSupport
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation
import Testing
@testable import FaultlineController

/// Plans run through the engine (or the `faultline` binary) against real agents in network
/// namespaces made by each test, with real nftables partitions and real HTTP traffic.
/// Serialized: each test builds its own hosts, and two cores are shared by everyone.
@Suite("End to end: real agents, real faults", .serialized)
struct EndToEndTests {
    func plan(_ cluster: TestCluster, _ body: String) throws -> Plan {
        try TestPlans.parse("version: 1\ntitle: e2e\n" + cluster.inventoryYAML + body)
    }

    func engine(_ cluster: TestCluster, _ plan: Plan, agentTimeout: TimeSpan = .seconds(5)) throws -> RunEngine {
        RunEngine(plan: plan, inventory: cluster.inventory, clients: try cluster.clients(timeout: agentTimeout),
                  configuration: RunConfiguration(seed: 3, runShort: "e2e\(cluster.tag)", historyDirectory: cluster.dir))
    }

    static let isolateH1 = """
    targets:
      web: { labels: { role: web } }
      first: { names: [h1] }
    """

    @Test func aPlanWhoseHypothesisHoldsEndsHeldAndLeavesTheKernelAsItWas() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        #expect(try await offPool { cluster.canFetch(from: 2, to: 1) })
        let p = try plan(cluster, """
        \(Self.isolateH1)
        steady-state:
          - name: every page served
            probe: { http: { url: "http://{{host.address}}:8000/", each: web, expect: { status: 200, body: "faultline-e2e h[0-9]" } } }
            when: [before, during, after]
            every: 300ms
        method:
          - partition: { isolate: first, from: web, duration: 2s }
        settings: { lease: 3s }
        """)
        let e = try engine(cluster, p)
        // While the fault is on: the kernel has a table in both namespaces, and h2 really
        // cannot reach h1.
        let observed = Task { () -> (String, String, Bool) in
            try? await Task.sleep(for: .milliseconds(1200))
            return (try? await offPool { (cluster.nftTables(1), cluster.nftTables(2), cluster.canFetch(from: 2, to: 1, timeout: 0.5)) }) ?? ("", "", true)
        }
        let journal = await e.run()
        let (tables1, tables2, fetched) = await observed.value
        #expect(journal.outcome == .held, "\(journal.reason ?? "") \(journal.errors)\n\(cluster.logs())")
        #expect(journal.outcome?.exitCode == 0)
        #expect(!tables1.isEmpty && !tables2.isEmpty, "no nftables table while the partition was on")
        #expect(!fetched, "h2 reached h1 through the partition")
        #expect(journal.faults.count == 2)
        for f in journal.faults {
            #expect(f.appliedAt != nil && f.revertedAt != nil && f.revertReason == .duration, "\(f)")
            #expect((f.revertedAt ?? 0) - (f.appliedAt ?? 0) >= 1.9)
            #expect(f.fault.filter?.isResolved == true)
        }
        #expect(journal.probes[0].samples.contains { $0.phase == .method }, "during samples were taken")
        #expect(journal.probes[0].samples.filter { $0.phase != .method }.allSatisfy { $0.ok })
        #expect(try await offPool { cluster.kernelState() } == baseline)
        #expect(try await offPool { cluster.canFetch(from: 2, to: 1) })
    }

    @Test func aPlanBuiltToDeviateExitsOneAndNamesTheProbe() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let marker = cluster.dir + "/www1/ready"
        try "ok".write(toFile: marker, atomically: true, encoding: .utf8)
        let p = try plan(cluster, """
        \(Self.isolateH1)
        steady-state:
          - name: h1 still says ready
            probe: { http: { url: "http://\(cluster.address(1)):8000/ready", expect: { status: 200 } } }
        method:
          - partition: { isolate: first, duration: 1s }
          - command: { argv: [/bin/rm, "\(marker)"] }
        """)
        let journal = await (try engine(cluster, p)).run()
        #expect(journal.outcome == .deviated, "\(journal.reason ?? "") \(journal.errors)")
        #expect(journal.outcome?.exitCode == 1)
        #expect(journal.reason?.contains("'h1 still says ready'") == true)
        let after = journal.probes[0].samples.last!
        #expect(after.phase == .after && !after.ok)
        #expect(after.detail.contains("status 404, expected 200"))
        let junit = JUnitWriter.render(journal)
        #expect(junit.contains("h1 still says ready") && junit.contains("<failure"), "\(junit)")
        #expect(journal.faults.allSatisfy { $0.revertedAt != nil })
    }

    @Test func aGuardThatTripsMidFaultAbortsWithinOneSecondAndRevertsEverything() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        let p = try plan(cluster, """
        \(Self.isolateH1)
        guards:
          - name: h2 reaches h1
            probe:
              command:
                argv: [/usr/sbin/ip, netns, exec, "\(cluster.namespace(2))", /usr/bin/curl, -s, -f, -m, "1", "http://\(cluster.address(1)):8000/"]
                timeout: 3s
            every: 200ms
        method:
          - pause: 500ms
          - partition: { isolate: first, from: web, duration: 30s }
        settings: { lease: 5s }
        """)
        let started = ContinuousClock.now
        let journal = await (try engine(cluster, p)).run()
        let took = ContinuousClock.now - started
        #expect(journal.outcome == .aborted, "\(journal.reason ?? "") \(journal.errors)\n\(cluster.logs())")
        #expect(journal.outcome?.exitCode == 2)
        #expect(journal.reason?.contains("guard 'h2 reaches h1' tripped") == true)
        #expect(took < .seconds(10), "the 30 s fault was waited out (\(took))")
        let events = journal.events.map { String(format: "%.3f ", $0.t) + "\($0.kind.rawValue) \($0.message)" }.joined(separator: "\n")
        let trip = try #require(journal.events.first { $0.kind == .guardTripped }, "\(events)")
        let applied = try #require(journal.faults.compactMap(\.appliedAt).max(), "tripped before any fault was applied:\n\(events)")
        #expect(trip.t > applied, "the guard must trip because of the partition, not before it")
        let reverted = journal.faults.compactMap(\.revertedAt)
        #expect(reverted.count == 2, "\(events)\n\(journal.faults)")
        let latency = (reverted.max() ?? .infinity) - trip.t
        print("run ended at t=\(journal.events.last!.t), took \(took)")
        print("guard abort: tripped \(String(format: "%.3f", trip.t - applied)) s after the fault was applied; every fault reverted \(String(format: "%.0f", latency * 1000)) ms after the trip")
        #expect(latency < 1.0, "reverted \(latency) s after the guard tripped")
        #expect(journal.faults.allSatisfy { $0.revertReason == .guardTripped })
        #expect(try await offPool { cluster.kernelState() } == baseline)
        #expect(try await offPool { cluster.canFetch(from: 2, to: 1) })
    }

    /// The `faultline` binary with a plan file; answers the process and the paths.
    func startController(_ cluster: TestCluster, _ body: String) throws -> (SpawnedProcess, journal: String) {
        let planPath = cluster.dir + "/plan.yaml"
        try ("version: 1\ntitle: e2e cli\n" + cluster.inventoryYAML + body).write(toFile: planPath, atomically: true, encoding: .utf8)
        guard FileManager.default.isExecutableFile(atPath: TestCluster.faultlineBinary) else {
            throw TestFailure("\(TestCluster.faultlineBinary) is missing: build it first")
        }
        let journal = cluster.dir + "/journal.json"
        let process = try SpawnedProcess([TestCluster.faultlineBinary, "run", planPath, "--certs", cluster.pki, "--journal", journal],
                                       logPath: cluster.dir + "/controller.log", environment: ["NO_COLOR": "1", "PATH": "/usr/sbin:/usr/bin:/bin"])
        return (process, journal)
    }

    @Test func killingTheControllerMidFaultLeavesTheRevertToTheLeases() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        let (controller, journalPath) = try startController(cluster, """
        \(Self.isolateH1)
        method:
          - partition: { isolate: first, from: web, duration: 60s }
        settings: { lease: 2s }
        """)
        defer { controller.kill() }
        let applied = await waitUntil(20) { !cluster.nftTables(1).isEmpty && !cluster.nftTables(2).isEmpty }
        try #require(applied != nil, "the partition never appeared\n\(controller.logTail())\n\(cluster.logs())")
        #expect(try await offPool { !cluster.canFetch(from: 2, to: 1) })
        // The journal is written as the run goes: once the agents hold the faults, it says so.
        let journaled = await waitUntil(5) {
            (try? Journal.decode(Data(contentsOf: URL(fileURLWithPath: journalPath))))?.faults.filter { $0.appliedAt != nil }.count == 2
        }
        #expect(journaled != nil, "the journal did not record both applies while the run went on")
        controller.signal(SIGKILL)
        #expect(try await offPool { controller.waitForExit(seconds: 5) } == 128 + SIGKILL)

        // What the killed controller left: a complete journal without an outcome, which
        // `faultline report` renders and calls unfinished, naming the faults left applied.
        let left = try Journal.decode(try Data(contentsOf: URL(fileURLWithPath: journalPath)))
        #expect(left.outcome == nil && left.endedAt == nil)
        #expect(left.faults.count == 2 && left.faults.allSatisfy { $0.appliedAt != nil && $0.revertedAt == nil }, "\(left.faults)")
        #expect(left.events.contains { $0.kind == .phase && $0.phase == .method })
        let out = cluster.dir + "/rerendered"
        let report = try SpawnedProcess([TestCluster.faultlineBinary, "report", journalPath, "--out", out], logPath: cluster.dir + "/report.log")
        #expect(try await offPool { report.waitForExit(seconds: 20) } == 0, "\(report.logTail())")
        #expect(report.logTail().contains("unfinished: the run did not finish"), "\(report.logTail())")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("outcome unfinished") && html.contains("never confirmed reverted"))
        for f in left.faults { #expect(html.contains(f.id)) }
        let junit = try String(contentsOfFile: out + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("name=\"outcome\" value=\"unfinished\""))
        let gone = await waitUntil(10) { cluster.kernelState() == baseline }
        let seconds = try #require(gone, "faults outlived the controller's lease\n\(cluster.kernelState())\n\(cluster.logs())")
        print("kill -9 of the controller: agents reverted by lease \(String(format: "%.2f", seconds)) s later (lease 2s)")
        #expect(seconds <= 3.5)
        #expect(try await offPool { cluster.canFetch(from: 2, to: 1) })
    }

    @Test func sigintRevertsEveryFaultAndStillRunsTheRollbacks() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        let marker = cluster.dir + "/rolled-back"
        let (controller, journalPath) = try startController(cluster, """
        \(Self.isolateH1)
        method:
          - partition: { isolate: first, from: web, duration: 60s }
        rollbacks:
          - command: { argv: [/usr/bin/touch, "\(marker)"] }
        settings: { lease: 10s }
        """)
        defer { controller.kill() }
        let applied = await waitUntil(20) { !cluster.nftTables(1).isEmpty && !cluster.nftTables(2).isEmpty }
        try #require(applied != nil, "the partition never appeared\n\(controller.logTail())\n\(cluster.logs())")
        let sent = Date()
        controller.signal(SIGINT)
        let status = try await offPool { controller.waitForExit(seconds: 15) }
        #expect(status == 2, "exit \(String(describing: status))\n\(controller.logTail())")
        // Reverted by the controller itself: far sooner than the 10 s lease.
        #expect(try await offPool { cluster.kernelState() } == baseline)
        #expect(Date().timeIntervalSince(sent) < 8)
        #expect(FileManager.default.fileExists(atPath: marker), "the rollback did not run\n\(controller.logTail())")
        let journal = try Journal.decode(try Data(contentsOf: URL(fileURLWithPath: journalPath)))
        #expect(journal.outcome == .aborted)
        #expect(journal.faults.count == 2 && journal.faults.allSatisfy { $0.revertReason == .abort && $0.revertedAt != nil })
        #expect(journal.events.contains { $0.kind == .signal })
    }

    @Test func faultlineHaltFromAnotherProcessRevertsEverythingAndTheRunStops() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        let p = try plan(cluster, """
        \(Self.isolateH1)
        method:
          - partition: { isolate: first, from: web, duration: 60s }
        settings: { lease: 3s }
        """)
        let e = try engine(cluster, p)
        let run = Task { await e.run() }
        let applied = await waitUntil(15) { !cluster.nftTables(1).isEmpty && !cluster.nftTables(2).isEmpty }
        try #require(applied != nil, "\(cluster.logs())")
        let inventoryFile = cluster.dir + "/inventory.yaml"
        // An inventory file holds the `hosts:` list at its top level.
        let file = cluster.inventoryYAML.split(separator: "\n").dropFirst().map { $0.dropFirst(2) }.joined(separator: "\n") + "\n"
        try file.write(toFile: inventoryFile, atomically: true, encoding: .utf8)
        let halt = try SpawnedProcess([TestCluster.faultlineBinary, "halt", "--inventory", inventoryFile, "--certs", cluster.pki],
                                    logPath: cluster.dir + "/halt.log")
        #expect(try await offPool { halt.waitForExit(seconds: 15) } == 0, "\(halt.logTail())")
        let output = halt.logTail()
        print(output.split(separator: "\n").last ?? "")
        #expect(output.contains("h1: reverted 1: fl-e2e\(cluster.tag)-1-h1"), "\(output)")
        #expect(output.contains("h2: reverted 1: fl-e2e\(cluster.tag)-1-h2"), "\(output)")
        #expect(try await offPool { cluster.kernelState() } == baseline)
        let journal = await run.value
        #expect(journal.outcome == .aborted, "\(journal.reason ?? "")")
        #expect(journal.reason?.contains("reverted by their agent") == true)
        // Every fault's reason is the agents' record of the halt, at the agents' time.
        #expect(journal.faults.count == 2 && journal.faults.allSatisfy { $0.revertReason == .halt && $0.agentRevertedAt != nil },
                "\(journal.faults.map { ($0.host, $0.revertReason?.rawValue ?? "none") })")
    }

    /// Starts a run that partitions h1 from the web hosts and answers once both hosts
    /// hold their part of it.
    func partitionRunning(_ cluster: TestCluster, duration: String, lease: String, agentTimeout: TimeSpan) async throws -> Task<Journal, Never> {
        let p = try plan(cluster, """
        \(Self.isolateH1)
        method:
          - partition: { isolate: first, from: web, duration: \(duration) }
        settings: { lease: \(lease), agent-timeout: \(agentTimeout) }
        """)
        let e = try engine(cluster, p, agentTimeout: agentTimeout)
        let run = Task { await e.run() }
        let applied = await waitUntil(15) { !cluster.nftTables(1).isEmpty && !cluster.nftTables(2).isEmpty }
        try #require(applied != nil, "\(cluster.logs())")
        return run
    }

    /// An agent killed with SIGKILL mid-fault and started again finds its fault in its
    /// ledger and reverts it (`recovery`); the controller learns that from the agent's own
    /// record, stops the run and reverts the other host's fault as an abort — and the
    /// journal says exactly that, not "halt" for both.
    @Test func anAgentRestartedMidFaultIsJournalledAsRecoveryAndTheOthersAsAbort() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        let run = try await partitionRunning(cluster, duration: "60s", lease: "10s", agentTimeout: .seconds(2))
        try await offPool { try cluster.restartAgent(1) }
        let journal = await run.value
        #expect(journal.outcome == .aborted, "\(journal.reason ?? "")")
        #expect(journal.reason?.contains("reverted by their agent on h1 (recovery)") == true, "\(journal.reason ?? "")")
        let h1 = try #require(journal.faults.first { $0.host == "h1" }), h2 = try #require(journal.faults.first { $0.host == "h2" })
        #expect(h1.revertReason == .recovery && h1.agentRevertedAt != nil, "h1: \(h1)")
        #expect(h2.revertReason == .abort && h2.agentRevertedAt != nil, "h2: \(h2)")
        // The recovery's time is the restarted agent's, not when the controller noticed.
        let restartedBy = try #require(h1.revertedAt)
        #expect(restartedBy <= (h2.revertedAt ?? .infinity), "h1 was reverted by its agent before the run's abort reverted h2")
        #expect(try await offPool { cluster.kernelState() } == baseline)
    }

    /// One agent stops answering (SIGSTOP) while both hosts hold a partition under a 3 s
    /// lease and a 2.5 s agent-timeout: the healthy host's renewals go on every second,
    /// so its fault lasts its planned 6 s and ends by duration, not by a lost lease (when
    /// renewals waited for each other, h1's lease ran out at about 4 s and the run aborted).
    @Test func oneHungAgentDoesNotDelayTheOtherAgentsRenewals() async throws {
        let cluster = try await offPool { try TestCluster.make() }
        defer { cluster.destroy() }
        let baseline = try await offPool { cluster.kernelState() }
        let run = try await partitionRunning(cluster, duration: "6s", lease: "3s", agentTimeout: .milliseconds(2500))
        let hung = cluster.agents[1].pid
        kill(hung, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(hung, SIGCONT) } }
        let journal = await run.value
        kill(hung, SIGCONT)
        resumed = true
        let h1 = try #require(journal.faults.first(where: { $0.host == "h1" }), "\(journal.faults)")
        let events = journal.events.map { String(format: "%.3f ", $0.t) + "\($0.kind.rawValue) \($0.message)" }.joined(separator: "\n")
        #expect(h1.revertReason == .duration, "h1: \(h1.revertReason?.rawValue ?? "none")\n\(events)")
        #expect(((h1.revertedAt ?? 0) - (h1.appliedAt ?? 0)) >= 5.9, "\(h1)")
        #expect(!journal.events.contains(where: { $0.message.contains("on h1 no longer holds") }), "\(events)")
        #expect(journal.errors.contains(where: { $0.contains("lease renewal on h2 failed") }), "\(journal.errors)")
        // h2's own lease reverts its partition once it runs again: nothing stays behind.
        let gone = await waitUntil(10) { cluster.kernelState() == baseline }
        #expect(gone != nil, "\(cluster.kernelState())\n\(cluster.logs())")
    }
}
