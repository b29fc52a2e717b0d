#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import FaultlineChecker
@testable import FaultlineWorkloads

/// The etcd workload against a real 3-member etcd cluster on loopback.
@Suite(.serialized) struct EtcdWorkloadTests {
    /// Debian's etcd-server package provides /usr/bin/etcd; without it there is nothing
    /// to record against (the Makefile installs it).
    static let needsEtcd = ConditionTrait.enabled(if: EtcdCluster.isInstalled, "Debian etcd-server is not installed (/usr/bin/etcd)")

    @Test("etcd gateway JSON: put, range, absent key, CAS on value and on absence", Self.needsEtcd)
    func etcdClientSpeaksTheGateway() throws {
        let cluster = try EtcdCluster(size: 1)
        defer { cluster.stop() }
        let client = EtcdRegisterClient(endpoint: cluster.endpoints[0])
        defer { client.close() }
        let timeout = Duration.seconds(2)
        #expect(client.read(key: "x", timeout: timeout) == .ok(nil))
        #expect(client.cas(key: "x", expected: "a", new: "b", timeout: timeout) == .casMismatch)
        #expect(client.cas(key: "x", expected: nil, new: "a", timeout: timeout) == .ok(nil))
        #expect(client.cas(key: "x", expected: nil, new: "z", timeout: timeout) == .casMismatch)
        #expect(client.read(key: "x", timeout: timeout) == .ok("a"))
        #expect(client.write(key: "x", value: "ünï\"code", timeout: timeout) == .ok(nil))
        #expect(client.cas(key: "x", expected: "ünï\"code", new: "c", timeout: timeout) == .ok(nil))
        #expect(client.read(key: "x", timeout: timeout) == .ok("c"))
    }

    @Test("3 members, 4 clients × 4 keys for 3 s: linearizable, no lost writes, converged", Self.needsEtcd)
    func healthyClusterChecksOK() throws {
        let cluster = try EtcdCluster(size: 3)
        defer { cluster.stop() }
        let recorder = try WorkloadRecorder.etcd(WorkloadConfiguration(
            name: "etcd-register", nodes: cluster.endpoints, clients: 4, keys: 4, duration: .seconds(3)))
        let recording = recorder.record()
        let verdicts = try Verdicts(recording)
        print("etcd healthy: \(verdicts.summary)")

        #expect(recording.count(.ok) > 100, "\(verdicts.explanation)")
        // A healthy cluster answers within the 1 s timeout; a few stragglers are tolerated
        // on a loaded 2-core machine.
        #expect(recording.count(.info) * 50 <= recording.workloadOperations.count, "\(verdicts.explanation)")
        #expect(Set(recording.workloadOperations.compactMap(\.node)) == ["n0", "n1", "n2"])
        #expect(Set(recording.workloadOperations.map(\.kind)) == [.read, .write, .cas])
        #expect(recording.workloadOperations.contains { $0.kind == .cas && $0.outcome == .ok })
        #expect(recording.workloadOperations.contains { $0.kind == .cas && $0.outcome == .fail })
        // Final reads: every key on every node, all ok.
        #expect(recording.finalReads.count == 12)
        #expect(recording.finalReads.allSatisfy { $0.outcome == .ok })
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.verdict == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.lost.isEmpty)
        #expect(verdicts.convergence.verdict == .ok && verdicts.convergence.finalReads == 12, "\(verdicts.explanation)")

        // The JSON Lines round-trip through the checker's parser gives the same history.
        let text = recording.jsonLines()
        #expect(text.hasPrefix("{\"faultline-history\":1,\"clock\":\"monotonic-ns\",\"workload\":\"etcd-register\",\"seed\":\"\(recording.seed)\"}"))
        let parsed = try FaultlineHistoryParser.parse(Array(text.utf8))
        let withoutLines = parsed.operations.map { operation in var copy = operation; copy.line = nil; return copy }
        let key = { (operation: FaultlineChecker.Operation) in "\(operation.invoke)-\(operation.client)" }
        #expect(withoutLines.sorted { key($0) < key($1) } == recording.history.operations.sorted { key($0) < key($1) })
    }

    @Test("SIGKILL one member mid-run: its clients record fail/info, the history still checks ok", Self.needsEtcd)
    func minorityKilledStillChecksOK() throws {
        let cluster = try EtcdCluster(size: 3)
        defer { cluster.stop() }
        let stop = StopSignal()
        let recorder = try WorkloadRecorder.etcd(WorkloadConfiguration(
            name: "etcd-register", nodes: cluster.endpoints, clients: 6, keys: 4, duration: .seconds(4),
            operationTimeout: .milliseconds(700)))
        // Kill member n2 (clients 2 and 5 talk to it) one second in, from another thread.
        let victim = cluster.members[2]
        let killed = DispatchSemaphore(value: 0)
        let killer = Thread {
            Thread.sleep(forTimeInterval: 1)
            victim.kill()
            killed.signal()
        }
        killer.start()
        let recording = recorder.record(stop: stop)
        killed.wait()
        let verdicts = try Verdicts(recording)
        print("etcd one killed: \(verdicts.summary); \(recording.failureReasons)")

        let onVictim = recording.workloadOperations.filter { $0.node == "n2" }
        let failedOnVictim = onVictim.filter { $0.outcome != .ok }
        #expect(onVictim.contains { $0.outcome == .ok }, "n2 served before it died")
        #expect(failedOnVictim.count >= 5, "clients of the dead member recorded failures: \(verdicts.explanation)")
        #expect(failedOnVictim.allSatisfy { $0.client % 6 == 2 || $0.client % 6 == 5 })
        #expect(recording.failureReasons.keys.contains { $0.contains("ECONNREFUSED") }, "\(recording.failureReasons)")
        // The surviving majority kept serving after the kill.
        let lastOnVictim = onVictim.filter { $0.outcome == .ok }.map(\.invoke).max() ?? 0
        #expect(recording.workloadOperations.contains { $0.node != "n2" && $0.outcome == .ok && $0.invoke > lastOnVictim })
        // Final reads on the dead member fail; the live ones answer.
        #expect(recording.finalReads.filter { $0.node == "n2" }.allSatisfy { $0.outcome == .fail })
        #expect(recording.finalReads.filter { $0.node != "n2" && $0.outcome == .ok }.count == 8)
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.verdict == .ok, "\(verdicts.explanation)")
        #expect(verdicts.convergence.verdict == .ok, "\(verdicts.explanation)")
    }
}
