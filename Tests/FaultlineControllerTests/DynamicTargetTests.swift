#if canImport(Glibc)
import FaultlineTestSupport
import Glibc
#endif
import FaultlinePlan
import Foundation
import Testing
@testable import FaultlineController

/// Dynamic targets answered by real services on loopback addresses of their own
/// (127.0.0.N, one port for all, as hosts of an inventory would have): a 3-member etcd
/// from Debian's package, and a Redis primary with a replica.
@Suite("Dynamic targets against real etcd and Redis", .serialized)
struct DynamicTargetTests {
    static func port() -> UInt16 { UInt16.random(in: 20000...40000) }

    func waitUntil(_ seconds: Double, _ body: () async -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if await body() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func theEtcdLeaderIsFoundAndFollowsAnElection() async throws {
        let dir = "/tmp/fl-cd\(String(format: "%04x", UInt16.random(in: 0...UInt16.max)))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let clientPort = Self.port(), peerPort = clientPort + 1
        let third = Int.random(in: 100...250)
        let hosts = (1...3).map { Host(name: "e\($0)", address: "127.\(third).0.\($0)", agent: "") }
        let cluster = hosts.map { "\($0.name)=http://\($0.address):\(peerPort)" }.joined(separator: ",")
        var members: [SpawnedProcess] = []
        defer {
            for m in members { m.kill() }
            try? FileManager.default.removeItem(atPath: dir)
        }
        for h in hosts {
            members.append(try SpawnedProcess([
                "/usr/bin/etcd", "--name", h.name, "--data-dir", "\(dir)/\(h.name)",
                "--listen-client-urls", "http://\(h.address):\(clientPort)", "--advertise-client-urls", "http://\(h.address):\(clientPort)",
                "--listen-peer-urls", "http://\(h.address):\(peerPort)", "--initial-advertise-peer-urls", "http://\(h.address):\(peerPort)",
                "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", dir,
                "--pre-vote=true", "--heartbeat-interval", "50", "--election-timeout", "500",
            ], logPath: "\(dir)/\(h.name).log"))
        }
        var resolver = ServiceTargetResolver(timeout: .seconds(1))
        resolver.etcdPort = clientPort
        var leader: Host?
        let elected = await waitUntil(20) {
            leader = try? await resolver.resolve(.etcdLeader, among: hosts).first
            return leader != nil
        }
        try #require(elected, "no leader: \(members[0].logTail(600))")
        let followers = try await resolver.resolve(.etcdFollowers, among: hosts)
        #expect(Set(followers.map(\.name)) == Set(hosts.map(\.name)).subtracting([leader!.name]))

        // Kill the leader: the resolver must now name another member.
        let index = hosts.firstIndex(of: leader!)!
        members[index].kill()
        var next: Host?
        let reelected = await waitUntil(20) {
            next = try? await resolver.resolve(.etcdLeader, among: hosts).first
            return next != nil && next != leader
        }
        #expect(reelected, "no new leader after killing \(leader!.name)")
        print("etcd-leader: \(leader!.name), then \(next?.name ?? "none") after it was killed")
    }

    @Test func theRedisPrimaryAndItsReplica() async throws {
        let port = Self.port()
        let third = Int.random(in: 100...250)
        let primary = Host(name: "r1", address: "127.\(third).1.1", agent: "")
        let replica = Host(name: "r2", address: "127.\(third).1.2", agent: "")
        let dir = "/tmp/fl-cr\(String(format: "%04x", UInt16.random(in: 0...UInt16.max)))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var servers: [SpawnedProcess] = []
        defer {
            for s in servers { s.kill() }
            try? FileManager.default.removeItem(atPath: dir)
        }
        for (h, extra) in [(primary, [String]()), (replica, ["--replicaof", primary.address, "\(port)"])] {
            servers.append(try SpawnedProcess(["/usr/bin/redis-server", "--bind", h.address, "--port", "\(port)", "--save", "",
                                             "--appendonly", "no", "--dir", dir, "--dbfilename", "\(h.name).rdb"] + extra,
                                            logPath: "\(dir)/\(h.name).log"))
        }
        var resolver = ServiceTargetResolver(timeout: .seconds(1))
        resolver.redisPort = port
        var found: [Host] = []
        let up = await waitUntil(10) {
            found = (try? await resolver.resolve(.redisPrimary, among: [primary, replica])) ?? []
            return !found.isEmpty
        }
        try #require(up, "no primary: \(servers[0].logTail(600))")
        #expect(found == [primary])
        #expect(try await resolver.resolve(.redisReplicas, among: [primary, replica]) == [replica])
        servers.forEach { $0.kill() }
        await #expect(throws: ServiceTargetResolver.NoAnswer.self) { try await resolver.resolve(.redisPrimary, among: [primary, replica]) }
    }
}
