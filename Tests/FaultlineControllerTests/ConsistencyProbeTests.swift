#if canImport(Glibc)
import FaultlineTestSupport
import Glibc
#endif
import FaultlinePlan
import Foundation
import Testing
@testable import FaultlineController

/// A consistency probe through the whole engine: a real single-member etcd (Debian's) on
/// a loopback address of its own, port 2379 as the workload expects, clients recording
/// over the method, the history checked and written beside the journal.
@Suite("Consistency probe against a real etcd", .serialized)
struct ConsistencyProbeTests {
    @Test func anEtcdRegisterWorkloadIsRecordedCheckedAndWritten() async throws {
        let address = "127.\(Int.random(in: 100...250)).2.1"
        let dir = "/tmp/fl-cc\(String(format: "%04x", UInt16.random(in: 0...UInt16.max)))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let etcd = try SpawnedProcess([
            "/usr/bin/etcd", "--name", "c1", "--data-dir", "\(dir)/c1",
            "--listen-client-urls", "http://\(address):2379", "--advertise-client-urls", "http://\(address):2379",
            "--listen-peer-urls", "http://\(address):2380", "--initial-advertise-peer-urls", "http://\(address):2380",
            "--initial-cluster", "c1=http://\(address):2380",
        ], logPath: "\(dir)/etcd.log")
        defer {
            etcd.kill()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let plan = try TestPlans.parse("""
        version: 1
        title: consistency
        inventory:
          hosts:
            - { name: c1, address: \(address), agent: "http://\(address):7433", labels: { role: etcd } }
        targets:
          etcd: { labels: { role: etcd } }
        steady-state:
          - name: etcd serves
            probe: { http: { url: "http://{{host.address}}:2379/health", each: etcd, expect: { status: 200, jsonpath: { path: $.health, equals: "true" } } } }
          - name: writes stay linearizable
            probe: { consistency: { workload: etcd-register, target: etcd, clients: 3, keys: 4 } }
        method:
          - pause: 1500ms
        """)
        guard case .inline(let inventory) = plan.inventory else { throw TestPlans.Invalid(description: "inline") }
        // Wait for etcd to serve before the run (the hypothesis would otherwise deviate).
        _ = await waitUntil(15) { (try? tool(["/usr/bin/curl", "-sf", "-m", "1", "http://\(address):2379/health"]))?.contains("true") == true }
        let engine = RunEngine(plan: plan, inventory: inventory, clients: [:],
                               configuration: RunConfiguration(seed: 9, runShort: "cc", historyDirectory: dir, historyPrefix: "journal"))
        let journal = await engine.run()
        #expect(journal.outcome == .held, "\(journal.reason ?? "") \(journal.errors)\n\(etcd.logTail())")
        let record = try #require(journal.consistency.first)
        #expect(record.workload == "etcd-register")
        #expect(record.operations > 50, "only \(record.operations) operations in 1.5 s")
        #expect(record.ok > 0)
        #expect(record.verdicts.map(\.check) == ["linearizable", "lost-writes", "convergence"])
        #expect(record.verdicts.allSatisfy { $0.result == "ok" }, "\(record.verdicts)")
        let file = try #require(record.historyFile)
        #expect(file == "\(dir)/journal.writes_stay_linearizable.history.jsonl")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.contains("\"workload\":\"etcd-register\"") == true)
        #expect(lines.count > record.operations, "history has the run's operations and the final reads")
        print("consistency: \(record.operations) operations (\(record.ok) ok) in 1.5 s, verdicts \(record.verdicts.map { "\($0.check) \($0.result)" })")
        let sample = try #require(journal.probes[1].samples.last)
        #expect(sample.ok && sample.phase == .after)
    }
}
