import Foundation
import Testing
import FaultlineChecker
@testable import FaultlineWorkloads

/// The Redis workload against a real redis-server on loopback.
@Suite struct RedisWorkloadTests {
    /// Debian's redis-server package; the Makefile installs it.
    static let needsRedis = ConditionTrait.enabled(if: RedisServer.isInstalled, "redis-server is not installed (apt-get install -y redis-server)")

    @Test("Redis client: GET absent, SET, Lua CAS on value and on absence", Self.needsRedis)
    func redisClientOperations() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let client = RedisRegisterClient(endpoint: server.endpoint)
        defer { client.close() }
        let timeout = Duration.seconds(2)
        #expect(client.read(key: "x", timeout: timeout) == .ok(nil))
        #expect(client.cas(key: "x", expected: "a", new: "b", timeout: timeout) == .casMismatch)
        #expect(client.cas(key: "x", expected: nil, new: "a", timeout: timeout) == .ok(nil))
        #expect(client.cas(key: "x", expected: nil, new: "z", timeout: timeout) == .casMismatch)
        #expect(client.write(key: "x", value: "b\r\n", timeout: timeout) == .ok(nil))
        #expect(client.cas(key: "x", expected: "b\r\n", new: "c", timeout: timeout) == .ok(nil))
        #expect(client.read(key: "x", timeout: timeout) == .ok("c"))
    }

    @Test("4 clients × 4 keys for 1.5 s: linearizable, no lost writes; a dead server is fail, not info", Self.needsRedis)
    func redisWorkloadChecksOK() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let configuration = WorkloadConfiguration(name: "redis-register", nodes: [server.endpoint], clients: 4, keys: 4,
                                                  duration: .milliseconds(1500))
        let recording = try WorkloadRecorder.redis(configuration).record()
        let verdicts = try Verdicts(recording)
        print("redis: \(verdicts.summary)")
        #expect(recording.count(.ok) > 200, "\(verdicts.explanation)")
        #expect(recording.count(.info) == 0, "\(verdicts.explanation)")
        #expect(recording.workloadOperations.contains { $0.kind == .cas && $0.outcome == .ok })
        #expect(recording.finalReads.count == 4 && recording.finalReads.allSatisfy { $0.outcome == .ok })
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.verdict == .ok, "\(verdicts.explanation)")

        // After the server is gone, reads and writes are `fail` (never sent) and CASes
        // `info` (a failed CAS would claim a mismatch nobody observed).
        server.stop()
        var dead = configuration
        dead.duration = .milliseconds(300)
        dead.finalReads = false
        let after = try WorkloadRecorder.redis(dead).record()
        #expect(!after.history.isEmpty)
        #expect(after.history.operations.allSatisfy { $0.outcome == ($0.kind == .cas ? .info : .fail) })
        #expect(after.failureReasons.keys.allSatisfy { $0.contains("ECONNREFUSED") }, "\(after.failureReasons)")
    }
}
