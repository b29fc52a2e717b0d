#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// `faultline run Experiments/redis-primary-partition.yaml` against a real Redis lab with
/// Sentinels and agents: the primary is cut off, Sentinel fails over, the old primary's
/// acknowledged writes vanish when it rejoins, and the run says so (exit 1, the lost
/// writes named and counted in the journal and in JUnit).
@Suite(.serialized) struct RedisEndToEndTests {
    @Test(.enabled(if: EndToEndTests.ready && RedisLabTests.redisInstalled))
    func primaryPartitionReportsLostAcknowledgedWrites() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .redis, agents: true))
        let out = lab.directory + "-run"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let started = Date()
        let run = try EndToEndTests.run(["run", "Experiments/redis-primary-partition.yaml", "--out", out,
                                         "--certs", LabPKI.directory(lab.directory)], lab: lab)
        print("faultline run redis-primary-partition: exit \(run.status) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(run.status == 1, "\(run.output.suffix(3000))")

        // The journal: the partition was applied and reverted, and the probe found lost writes.
        let journal = try EndToEndTests.journal(out)
        let consistency = try #require((journal["consistency"] as? [[String: Any]])?.first, "no consistency record: \(journal.keys)")
        let verdicts = try #require(consistency["verdicts"] as? [[String: Any]])
        let lost = try #require(verdicts.first { $0["check"] as? String == "lost-writes" }, "\(verdicts)")
        #expect(lost["result"] as? String == "violation", "\(lost)")
        let explanation = lost["explanation"] as? String ?? ""
        let lostCount = explanation.components(separatedBy: "\n").filter { $0.hasPrefix("lost write: ") }.count
        #expect(lostCount >= 1, "\(explanation)")
        let ok = consistency["ok"] as? Int ?? 0
        print("redis-primary-partition: \(lostCount) acknowledged writes lost of \(ok) ok operations (\(consistency["operations"] ?? 0) in all, \(consistency["indeterminate"] ?? 0) indeterminate)")
        let faults = journal["faults"] as? [[String: Any]] ?? []
        #expect(!faults.isEmpty, "the journal records the partition: \(journal.keys)")

        // JUnit names the lost writes as a failed consistency test case, with each one listed.
        let junit = try String(contentsOfFile: out + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("lost-writes"), "\(junit.prefix(2000))")
        // Every lost write appears in the failure's text (the first once more in its message).
        #expect(junit.components(separatedBy: "lost write: ").count - 1 >= lostCount, "\(junit.prefix(3000))")
        #expect(junit.contains("type=\"violation\""))

        // After the run every host is healthy again: one primary, the others its replicas.
        let healthy = try await RedisLabTests.eventually(seconds: 20) { try await Lab.status(directory: lab.directory).isHealthy }
        let status = try await Lab.status(directory: lab.directory)
        #expect(healthy, "\(status)")
    }
}
