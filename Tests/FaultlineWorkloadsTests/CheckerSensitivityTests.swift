import Testing
import FaultlineChecker
@testable import FaultlineWorkloads

/// Recordings of a deliberately broken HTTP store must be judged broken: proof that the
/// recorder captures what the checkers need, and that "ok" elsewhere means something.
@Suite struct CheckerSensitivityTests {
    /// Records 300 ms against a test server. `rate` keeps histories small: the lost-write
    /// check slows down with the square of the writes per key when most are lost.
    func record(_ mode: TestKeyValueServer.Mode, clients: Int, keys: Int, rate: Double? = nil) throws -> (WorkloadRecording, Verdicts) {
        let server = try TestKeyValueServer(mode: mode)
        defer { server.stop() }
        let configuration = WorkloadConfiguration(
            name: "http-kv", nodes: [Endpoint(name: "s", host: "127.0.0.1", port: server.port)],
            clients: clients, keys: keys, rate: rate, duration: .milliseconds(300), seed: 7)
        let recording = try WorkloadRecorder.httpKeyValue(configuration).record()
        let clock = ContinuousClock()
        let started = clock.now
        let verdicts = try Verdicts(recording)
        print("http-kv \(mode): \(verdicts.summary); checked in \(clock.now - started)")
        return (recording, verdicts)
    }

    @Test("a correct HTTP store checks ok (the control)")
    func correctServerIsOK() throws {
        let (recording, verdicts) = try record(.correct, clients: 4, keys: 2)
        #expect(recording.count(.ok) > 50, "\(verdicts.explanation)")
        #expect(recording.workloadOperations.allSatisfy { $0.kind != .cas }, "no CAS configured")
        #expect(recording.workloadOperations.contains { $0.kind == .read && $0.value != nil })
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.verdict == .ok, "\(verdicts.explanation)")
        #expect(verdicts.convergence.verdict == .ok, "\(verdicts.explanation)")
    }

    @Test("a correct HTTP store with a configured CAS request: CASes swap and mismatch, history ok")
    func correctServerWithCASIsOK() throws {
        let server = try TestKeyValueServer(mode: .correct)
        defer { server.stop() }
        var api = HTTPKeyValueRegisterClient.API()
        api.cas = .init()   // POST /cas/{key}, body "{expected}\n{value}", 412 = mismatch
        let configuration = WorkloadConfiguration(
            name: "http-kv-cas", nodes: [Endpoint(name: "s", host: "127.0.0.1", port: server.port)],
            clients: 3, keys: 2, duration: .milliseconds(300), seed: 9)
        let recording = try WorkloadRecorder.httpKeyValue(configuration, api: api).record()
        let verdicts = try Verdicts(recording)
        let cases = recording.workloadOperations.filter { $0.kind == .cas }
        #expect(cases.contains { $0.outcome == .ok } && cases.contains { $0.outcome == .fail }, "\(verdicts.explanation)")
        #expect(recording.count(.info) == 0, "\(verdicts.explanation)")
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.verdict == .ok, "\(verdicts.explanation)")
    }

    @Test("a store that acknowledges writes and drops them: lost writes and not linearizable")
    func droppedWritesAreCaught() throws {
        let (recording, verdicts) = try record(.dropsWrites, clients: 4, keys: 2, rate: 400)
        // By construction every read returns "absent" and every write is acknowledged;
        // the final reads start after every write completed, so each acknowledged write
        // is lost. The only precondition is that some write was acknowledged.
        let acknowledged = recording.workloadOperations.filter { $0.kind == .write && $0.outcome == .ok }
        try #require(!acknowledged.isEmpty)
        #expect(recording.history.operations.allSatisfy { $0.kind != .read || $0.value == nil })
        #expect(verdicts.lostWrites.verdict == .illegal, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.lost.count == acknowledged.count, "\(verdicts.explanation)")
        #expect(verdicts.linearizable == .illegal, "\(verdicts.explanation)")
    }

    @Test("a store whose reads lag one write behind: not linearizable, latest writes lost")
    func staleReadsAreCaught() throws {
        // One client, so its operations are sequential: after writes v1 then v2 to a key,
        // any read returns v1 although v2 completed before the read began.
        let (recording, verdicts) = try record(.lagsOneWrite, clients: 1, keys: 1, rate: 400)
        let writes = recording.workloadOperations.filter { $0.kind == .write && $0.outcome == .ok }
        try #require(writes.count >= 2, "need two acknowledged writes to one key")
        let finalRead = try #require(recording.finalReads.first)
        #expect(finalRead.value == writes[writes.count - 2].value, "the final read sees the second-to-last write")
        #expect(verdicts.linearizable == .illegal, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.lost.map { recording.history.operations[$0.write].value }.contains(writes.last!.value),
                "\(verdicts.explanation)")
    }
}
