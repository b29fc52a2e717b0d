#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation
import Testing
import FaultlineChecker
@testable import FaultlineWorkloads

/// The recorder's own rules: outcomes, client ids after `info`, unique values, seeds, rate.
@Suite struct RecorderTests {
    @Test func outcomeOfEachReply() {
        typealias Client = HTTPKeyValueRegisterClient
        #expect(Client.outcome(of: .ok("v"), kind: .read) == (.ok, nil))
        #expect(Client.outcome(of: .casMismatch, kind: .cas) == (.fail, nil))
        #expect(Client.outcome(of: .notApplied("refused"), kind: .write) == (.fail, "refused"))
        #expect(Client.outcome(of: .notApplied("refused"), kind: .read) == (.fail, "refused"))
        // A CAS that never reached the server did not observe a mismatch: info, not fail.
        #expect(Client.outcome(of: .notApplied("refused"), kind: .cas) == (.info, "refused"))
        #expect(Client.outcome(of: .indeterminate("timeout"), kind: .write) == (.info, "timeout"))
    }

    @Test func mixFollowsItsWeightsAndDropsCASWhenUnavailable() {
        var generator = Xoshiro256(seed: 1)
        let mix = OperationMix(read: 0.5, write: 0.3, cas: 0.2)
        var counts: [OperationKind: Int] = [:]
        for _ in 0..<10_000 { counts[mix.pick(using: &generator, casAvailable: true), default: 0] += 1 }
        #expect((4700...5300).contains(counts[.read] ?? 0), "\(counts)")
        #expect((2700...3300).contains(counts[.write] ?? 0), "\(counts)")
        #expect((1700...2300).contains(counts[.cas] ?? 0), "\(counts)")
        for _ in 0..<1000 { #expect(mix.pick(using: &generator, casAvailable: false) != .cas) }
    }

    @Test func clientIdsNeverCollideAndValuesAreUnique() {
        var a = ClientIdentity(slot: 1, slots: 3)
        var b = ClientIdentity(slot: 2, slots: 3)
        var ids: Set<Int> = []
        var values: Set<String> = []
        for round in 0..<50 {
            ids.insert(a.clientID); ids.insert(b.clientID)
            values.insert(a.nextValue()); values.insert(b.nextValue()); values.insert(a.nextValue())
            if round % 2 == 0 { a.retire() }
            b.retire()
        }
        #expect(ids.count == 26 + 50)   // a: generations 0…25, b: 0…49
        #expect(ids.allSatisfy { $0 % 3 == 1 || $0 % 3 == 2 })
        #expect(values.count == 150)
    }

    @Test("a server that never answers: every operation info, and a fresh client id after each")
    func unansweredOperationsAreInfoWithFreshClientIds() throws {
        let (listener, port) = try LoopbackSocket.listen()
        defer { close(listener) }
        let configuration = WorkloadConfiguration(
            name: "mute", nodes: [Endpoint(name: "mute", host: "127.0.0.1", port: port)], clients: 2, keys: 1,
            duration: .milliseconds(350), operationTimeout: .milliseconds(100), backoffAfterFailure: .zero,
            finalReads: false)
        let recording = try WorkloadRecorder.httpKeyValue(configuration).record()
        let operations = recording.history.operations
        try #require(operations.count >= 4, "\(operations.count) operations")
        #expect(operations.allSatisfy { $0.outcome == .info })
        #expect(Set(operations.map(\.client)).count == operations.count, "no client id reused after info")
        #expect(Set(operations.map { $0.client % 2 }) == [0, 1])
        #expect(recording.failureReasons.keys.allSatisfy { $0.contains("timed out") }, "\(recording.failureReasons)")
        // Each gave up after its timeout: invoke to give-up is at least 100 ms.
        #expect(operations.allSatisfy { ($0.completion ?? 0) - $0.invoke >= 95_000_000 })
    }

    @Test("the same seed makes the same choices; the rate limit holds the rate")
    func seedRepeatsChoicesAndRateLimits() throws {
        let server = try TestKeyValueServer()
        defer { server.stop() }
        func run(seed: UInt64) throws -> WorkloadRecording {
            let configuration = WorkloadConfiguration(
                name: "seeded", nodes: [Endpoint(name: "s", host: "127.0.0.1", port: server.port)], clients: 1,
                keys: 5, rate: 100, duration: .milliseconds(400), seed: seed, finalReads: false)
            return try WorkloadRecorder.httpKeyValue(configuration).record()
        }
        let first = try run(seed: 42)
        let second = try run(seed: 42)
        let other = try run(seed: 43)
        #expect(first.seed == 42)
        let choices = { (recording: WorkloadRecording) in recording.history.operations.map { "\($0.kind) \($0.key)" } }
        let common = min(first.history.operations.count, second.history.operations.count)
        try #require(common >= 20, "100 ops/s for 0.4 s gives ~40 operations, got \(common)")
        #expect(choices(first).prefix(common) == choices(second).prefix(common))
        #expect(choices(first).prefix(20) != choices(other).prefix(20))
        // ~40 at 100 ops/s over 0.4 s; generous bounds, this is not a benchmark.
        #expect((25...45).contains(first.history.operations.count), "\(first.history.operations.count) operations")
    }

    @Test("with no duration, the stop signal ends the run; final reads follow")
    func stopSignalEndsTheRun() throws {
        let server = try TestKeyValueServer()
        defer { server.stop() }
        let configuration = WorkloadConfiguration(
            name: "stopped", nodes: [Endpoint(name: "s", host: "127.0.0.1", port: server.port)], clients: 2, keys: 2,
            rate: 200, duration: nil)
        let stop = StopSignal()
        let stopper = Thread {
            usleep(300_000)
            stop.stop()
        }
        stopper.start()
        let clock = ContinuousClock()
        let started = clock.now
        let recording = try WorkloadRecorder.httpKeyValue(configuration).record(stop: stop)
        #expect(clock.now - started < .seconds(5))
        #expect(stop.isStopped)
        #expect(recording.workloadOperations.count >= 10)
        #expect(recording.finalReads.count == 2 && recording.finalReads.allSatisfy { $0.outcome == .ok && $0.node == "s" })
        // Final reads come after every run operation and use ids no run operation used.
        let lastCompletion = recording.workloadOperations.compactMap(\.completion).max() ?? 0
        #expect(recording.finalReads.allSatisfy { $0.invoke >= lastCompletion })
        #expect(Set(recording.finalReads.map(\.client)).isDisjoint(with: recording.workloadOperations.map(\.client)))
    }

    @Test func invalidConfigurationIsRejectedWithReasons() {
        let configuration = WorkloadConfiguration(name: "bad", nodes: [], clients: 0, keys: 1, rate: -1)
        #expect(throws: WorkloadRecorder.InvalidConfiguration.self) { try WorkloadRecorder.redis(configuration) }
        #expect(configuration.problems() == [
            "nodes: at least one node is needed", "clients: must be at least 1, not 0",
            "rate: must be > 0 operations per second, not -1.0",
        ])
    }
}
