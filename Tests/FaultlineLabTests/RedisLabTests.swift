#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// A real Redis primary, replicas and Sentinels in a lab: replication through the hosts'
/// addresses, a Sentinel failover when the lab's own agents cut the primary off, the old
/// primary rejoining as a replica (and dropping what it accepted meanwhile), restarts, and
/// bad input refused before anything is touched.
@Suite(.serialized) struct RedisLabTests {
    /// Debian's redis-server and redis-sentinel (`make deps` installs both).
    static var redisInstalled: Bool { Spawn.locate([LabRedis.server]) != nil && Spawn.locate([LabRedis.sentinel]) != nil }

    @Test(.enabled(if: redisInstalled)) func upReplicatesAndDownLeavesNothingBehind() async throws {
        let before = Self.redisProcesses()
        let lab = try TestLab()
        defer { lab.remove() }
        var options = lab.options(hosts: 3, service: .redis, agents: TestLab.hasAgent)
        // With the faultline binary known, agents get restart commands for both programs.
        options.faultlineBinary = EndToEndTests.binary
        let summary = try await Lab.up(options)
        print("lab up (3 hosts, redis + sentinels\(TestLab.hasAgent ? ", agents" : "")): \(String(format: "%.2f", summary.seconds)) s")
        let a = lab.addressing
        let state = try #require(try LabState.load(directory: lab.directory))
        #expect(state.processes.filter { $0.role == "redis" }.count == 3)
        #expect(state.processes.filter { $0.role == "sentinel" }.count == 3)

        // n1 is the primary with both replicas; every Sentinel knows them and the others.
        let primary = try LabRedisQuery.replication(address: a.address(ofHost: 1))
        #expect(primary.isPrimary && primary.connectedReplicas == 2, "\(primary)")
        for i in 2...3 {
            let r = try LabRedisQuery.replication(address: a.address(ofHost: i))
            #expect(!r.isPrimary && r.primaryAddress == a.address(ofHost: 1) && r.linkUp, "n\(i): \(r)")
        }
        for i in 1...3 {
            let v = try LabRedisQuery.sentinelView(address: a.address(ofHost: i))
            #expect(v.primaryAddress == a.address(ofHost: 1) && v.replicas == 2 && v.otherSentinels == 2, "sentinel n\(i): \(v)")
        }
        // A write through the primary reaches a replica; a replica refuses writes.
        try LabRedisQuery.set(key: "faultline/lab", value: "hello from n1", address: a.address(ofHost: 1))
        #expect(try await Self.eventually(seconds: 5) { try LabRedisQuery.get(key: "faultline/lab", address: a.address(ofHost: 3)) == "hello from n1" })
        #expect(throws: LabError.self) { try LabRedisQuery.set(key: "k", value: "v", address: a.address(ofHost: 2)) }
        // Servers and Sentinels listen on their host's address only.
        #expect(LabLifecycleTests.connectError(a.bridgeAddress, port: 6379) == ECONNREFUSED)
        #expect(LabLifecycleTests.connectError(a.bridgeAddress, port: 26379) == ECONNREFUSED)

        // Plans can target by role; status names the roles.
        let inventory = try String(contentsOfFile: summary.inventoryPath, encoding: .utf8)
        #expect(inventory.contains("labels: { redis-role: primary, role: redis }"), "\(inventory)")
        #expect(inventory.components(separatedBy: "redis-role: replica").count == 3, "\(inventory)")
        let status = try await Lab.status(directory: lab.directory)
        #expect(status.isHealthy, "\(status)")
        #expect(status.description.contains("redis primary, 2 replicas connected"), "\(status)")
        #expect(status.description.components(separatedBy: "replica of n1, link up").count == 3, "\(status)")
        if TestLab.hasAgent, let faultline = EndToEndTests.binary {
            let config = try String(contentsOfFile: LabAgents.configPath(lab.directory, host: "n2"), encoding: .utf8)
            let restart = "[\"\(faultline)\", \"lab\", \"restart\", \"--service\", \"redis\", \"--host\", \"n2\", \"--dir\", \"\(lab.directory)\"]"
            #expect(config.contains("redis-server: \(restart)") && config.contains("redis-sentinel: \(restart)"), "agent restart commands: \(config)")
        }

        let started = Date()
        let report = try Lab.down(addressing: a, directory: lab.directory)
        print("lab down (redis): \(String(format: "%.2f", Date().timeIntervalSince(started))) s, \(report)")
        #expect(report.killed.count == (TestLab.hasAgent ? 9 : 6), "\(report)")
        #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
        #expect(Self.redisProcesses().subtracting(before).isEmpty, "redis processes left: \(Self.redisProcesses().subtracting(before))")
    }

    /// The lab's agents cut n1 off from n2 and n3 (inbound drops on each side, as a plan's
    /// `isolate` does); the Sentinels on n2 and n3 promote one of them. A write n1 accepted
    /// while cut off is gone once it rejoins as a replica.
    @Test(.enabled(if: redisInstalled && TestLab.hasAgent)) func sentinelFailsOverWhenThePrimaryIsCutOff() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .redis, agents: true))
        let a = lab.addressing
        let n1 = a.address(ofHost: 1)
        try LabRedisQuery.set(key: "before", value: "replicated", address: n1)
        #expect(try await Self.eventually(seconds: 5) { try LabRedisQuery.get(key: "before", address: a.address(ofHost: 2)) == "replicated" })

        let cut = [1: [2, 3], 2: [1], 3: [1]]
        let agents = try (1...3).map { try Self.agent($0, lab) }
        defer { agents.forEach { $0.close() } }
        let cutAt = Date()
        for (host, peers) in cut {
            let filter = NetworkFilter(peers: peers.map { .cidr(a.address(ofHost: $0) + "/32") }, direction: .inbound)
            let result = try await agents[host - 1].apply(id: "redis-cut-n\(host)", fault: .partition(Partition(topology: .inbound, filter: filter)),
                                                                lease: .seconds(60))
            #expect(result.status == "applied" || result.status == "active", "\(result)")
        }
        // The cut is real: n2's Sentinel cannot reach n1's server any more.
        var promoted: String?
        while Date().timeIntervalSince(cutAt) < 30 {
            if let p = try? LabRedisQuery.sentinelPrimary(address: a.address(ofHost: 2), timeout: 0.5), p != n1 { promoted = p; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let newPrimary = try #require(promoted, "no failover within 30 s of the cut")
        let failover = Date().timeIntervalSince(cutAt)
        print("redis primary cut off → Sentinel names a new primary in \(String(format: "%.2f", failover)) s")
        #expect([a.address(ofHost: 2), a.address(ofHost: 3)].contains(newPrimary))
        #expect(try await Self.eventually(seconds: 10) { try LabRedisQuery.replication(address: newPrimary).isPrimary })
        // The old primary does not know: it still acknowledges writes (the lost-write window).
        #expect(try LabRedisQuery.replication(address: n1).isPrimary)
        try LabRedisQuery.set(key: "during", value: "acknowledged by the old primary", address: n1)
        #expect(try LabRedisQuery.get(key: "during", address: n1) == "acknowledged by the old primary")

        let healAt = Date()
        for host in cut.keys { #expect(try await agents[host - 1].revert(id: "redis-cut-n\(host)")) }
        let rejoined = try await Self.eventually(seconds: 40) {
            let r = try LabRedisQuery.replication(address: n1)
            return !r.isPrimary && r.primaryAddress == newPrimary && r.linkUp
        }
        #expect(rejoined, "n1 did not rejoin as a replica of \(newPrimary) within 40 s")
        print("heal → old primary rejoined as a replica in \(String(format: "%.2f", Date().timeIntervalSince(healAt))) s")
        #expect(try LabRedisQuery.get(key: "during", address: n1) == nil, "the write n1 acknowledged while cut off is lost")
        #expect(try LabRedisQuery.get(key: "before", address: n1) == "replicated")

        let status = try await Lab.status(directory: lab.directory)
        let newName = LabRedis.hostName(ofAddress: newPrimary, addressing: a, hosts: 3)
        #expect(status.description.contains("replica of \(newName), link up"), "\(status)")
        #expect(status.description.contains("redis primary, 2 replicas connected"), "\(status)")
        #expect(status.isHealthy, "\(status)")
    }

    /// Killed processes come back with `restart`: the killed old primary as a replica of the
    /// primary the Sentinels name, a killed Sentinel with what it had learnt.
    @Test(.enabled(if: redisInstalled)) func restartBringsBackKilledServersAndSentinels() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .redis))
        let a = lab.addressing
        let state = try #require(try LabState.load(directory: lab.directory))
        let primary = try #require(state.processes.first { $0.role == "redis" && $0.host == "n1" })
        let sentinel = try #require(state.processes.first { $0.role == "sentinel" && $0.host == "n3" })
        let killedAt = Date()
        #expect(LabProcesses.kill(primary.pid, marker: primary.marker, startTime: primary.startTime))
        #expect(LabProcesses.kill(sentinel.pid, marker: sentinel.marker, startTime: sentinel.startTime))
        // Two Sentinels of three still make a majority: they fail over.
        let promoted = try await Self.eventually(seconds: 30) {
            (try? LabRedisQuery.sentinelPrimary(address: a.address(ofHost: 2), timeout: 0.5)).map { $0 != a.address(ofHost: 1) } ?? false
        }
        #expect(promoted, "no failover within 30 s of killing the primary")
        print("redis primary killed → new primary in \(String(format: "%.2f", Date().timeIntervalSince(killedAt))) s")
        let down = try await Lab.status(directory: lab.directory)
        #expect(!down.isHealthy && down.description.contains("NOT RUNNING") && down.description.contains("sentinel NOT RUNNING"), "\(down)")

        // Bad input first: a host the lab does not have, the wrong service; nothing started.
        await #expect(throws: LabError.self) { try await Lab.restart(service: .redis, host: "n9", directory: lab.directory) }
        await #expect(throws: LabError.self) { try await Lab.restart(service: .etcd, host: nil, directory: lab.directory) }

        let lines = try await Lab.restart(service: .redis, host: nil, directory: lab.directory)
        #expect(lines.filter { $0.contains("restarted") }.count == 2, "\(lines)")
        #expect(lines.filter { $0.contains("running") }.count == 4, "\(lines)")
        let newPrimary = try LabRedisQuery.sentinelPrimary(address: a.address(ofHost: 2))
        let newName = LabRedis.hostName(ofAddress: newPrimary, addressing: a, hosts: 3)
        #expect(lines.contains { $0.hasPrefix("n1: redis-server restarted (pid ") && $0.hasSuffix(") as replica of \(newName)") }, "\(lines)")
        let healthy = try await Self.eventually(seconds: 20) { try await Lab.status(directory: lab.directory).isHealthy }
        let after = try await Lab.status(directory: lab.directory)
        #expect(healthy, "\(after)")
        #expect(after.description.contains("replica of \(newName), link up"), "\(after)")
    }

    /// Bad input for a Redis lab: a precise error, and nothing made (no folder, namespace,
    /// link or process), through the library and through `faultline lab up` (exit 64).
    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        for hosts in [1, 2] {
            do {
                _ = try await Lab.up(lab.options(hosts: hosts, service: .redis))
                Issue.record("--hosts \(hosts) was accepted")
            } catch let error as LabError {
                #expect("\(error)" == "--service redis needs --hosts 3 or more (a primary, replicas and a sentinel quorum), not \(hosts)")
            }
            #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
        }
        if let binary = EndToEndTests.binary {
            let out = try Spawn.run([binary, "lab", "up", "--service", "redis", "--hosts", "2", "--name", lab.addressing.name,
                                     "--subnet", lab.addressing.subnet, "--dir", lab.directory])
            #expect(out.status == 64, "\(out)")
            #expect(out.stderr.contains("--service redis needs --hosts 3 or more"), "\(out.stderr)")
            #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
        }
    }

    // MARK: - Helpers

    static func agent(_ host: Int, _ lab: TestLab) throws -> HTTPAgentClient {
        let context = try LabPKI.controllerFiles(lab.directory).clientContext()
        return HTTPAgentClient(endpoint: AgentEndpoint(name: lab.addressing.hostName(host), address: lab.addressing.address(ofHost: host),
                                                       port: LabInventory.agentPort),
                               security: .mutualTLS(context), timeout: .seconds(5))
    }

    /// Polls `condition` every 100 ms (errors count as "not yet") until it holds or time is up.
    static func eventually(seconds: TimeInterval, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        return false
    }

    /// Pids of every redis-server and redis-sentinel on this machine.
    static func redisProcesses() -> Set<Int32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return Set(entries.compactMap { Int32($0) }.filter { pid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return comm == "redis-server" || comm == "redis-sentinel"
        })
    }
}
