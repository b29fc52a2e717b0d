#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// A real 3-member etcd in a lab: a leader is elected, a write through one host's address
/// is read back through another's, a killed member comes back with `restart`, and status
/// says all of it.
@Suite(.serialized) struct EtcdLabTests {
    @Test func clusterElectsOneLeaderAndServesThroughHostAddresses() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        let summary = try await Lab.up(lab.options(hosts: 3, service: .etcd, agents: TestLab.hasAgent))
        print("lab up (3 hosts, etcd\(TestLab.hasAgent ? ", agents" : "")): \(String(format: "%.2f", summary.seconds)) s")
        let a = lab.addressing
        let statuses = try (1...3).map { try LabEtcd.status(address: a.address(ofHost: $0)) }
        #expect(Set(statuses.map(\.leaderID)).count == 1, "every member follows the same leader")
        #expect(statuses.filter(\.isLeader).count == 1)
        let revision = try LabEtcd.put(key: "faultline/lab", value: "hello from n1", address: a.address(ofHost: 1))
        #expect(revision > 1)
        #expect(try LabEtcd.get(key: "faultline/lab", address: a.address(ofHost: 3)) == "hello from n1")
        // Members listen on their host's address only: nothing on the bridge's address.
        #expect(LabLifecycleTests.connectError(a.bridgeAddress, port: 2379) == ECONNREFUSED)

        let started = Date()
        let report = try Lab.down(addressing: a, directory: lab.directory)
        print("lab down: \(String(format: "%.2f", Date().timeIntervalSince(started))) s, \(report)")
        #expect(report.killed.count == (TestLab.hasAgent ? 6 : 3))
        #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
    }

    @Test func killedLeaderIsReplacedAndRestartBringsItBack() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .etcd))
        let a = lab.addressing
        let state = try #require(try LabState.load(directory: lab.directory))
        let leaderIndex = try #require(try (1...3).first { try LabEtcd.status(address: a.address(ofHost: $0)).isLeader })
        let leader = try #require(state.processes.first { $0.role == "etcd" && $0.host == a.hostName(leaderIndex) })
        let oldLeaderID = try LabEtcd.status(address: a.address(ofHost: leaderIndex)).memberID

        // Leader kill → re-election time, measured from SIGKILL to a follower naming a new leader.
        let killedAt = Date()
        #expect(LabProcesses.kill(leader.pid, marker: leader.marker, startTime: leader.startTime))
        let survivor = a.address(ofHost: leaderIndex == 1 ? 2 : 1)
        var elected: TimeInterval?
        while Date().timeIntervalSince(killedAt) < 15 {
            if let s = try? LabEtcd.status(address: survivor, timeout: 0.5), s.leaderID != 0, s.leaderID != oldLeaderID {
                elected = Date().timeIntervalSince(killedAt); break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = try #require(elected, "no new leader within 15 s")
        print("etcd leader killed → new leader in \(String(format: "%.2f", seconds)) s")
        #expect(seconds < 5)
        try LabEtcd.put(key: "k", value: "after the kill", address: survivor)

        let status = try await Lab.status(directory: lab.directory)
        #expect(!status.isHealthy)
        #expect(status.description.contains("NOT RUNNING"))

        let lines = try await Lab.restart(service: .etcd, host: nil, directory: lab.directory)
        #expect(lines.filter { $0.contains("restarted") }.count == 1, "\(lines)")
        #expect(lines.filter { $0.contains("running") }.count == 2, "\(lines)")
        #expect(try LabEtcd.get(key: "k", address: a.address(ofHost: leaderIndex)) == "after the kill")
        let after = try await Lab.status(directory: lab.directory)
        #expect(after.isHealthy, "\(after)")
        #expect(after.description.filter { _ in true }.contains("leader"))
    }

    @Test func twoLabsRunSideBySide() async throws {
        let first = try TestLab(), second = try TestLab()
        defer { first.remove(); second.remove() }
        try #require(first.addressing.subnetIndex != second.addressing.subnetIndex)
        async let one = Lab.up(first.options(hosts: 3, service: .etcd))
        async let two = Lab.up(second.options(hosts: 1, service: .noService))
        _ = try await (one, two)
        #expect(LabEtcd.isHealthy(address: first.addressing.address(ofHost: 2)))
        // Removing one leaves the other whole.
        try Lab.down(addressing: second.addressing, directory: second.directory)
        #expect(second.leftovers().isEmpty)
        #expect(LabEtcd.isHealthy(address: first.addressing.address(ofHost: 2)))
    }
}
