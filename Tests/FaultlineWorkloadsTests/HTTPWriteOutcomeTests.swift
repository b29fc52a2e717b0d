import FaultlineChecker
import Foundation
import Testing
@testable import FaultlineWorkloads

/// The http-kv client reads the service's own account of a refused write (`X-Applied`)
/// before falling back on the status, against a real HTTP server on loopback that refuses
/// some writes as a leader stepping down does.
@Suite struct HTTPWriteOutcomeTests {
    func record(api: HTTPKeyValueRegisterClient.API) throws -> (WorkloadRecording, [String: Int], Verdicts) {
        let server = try TestKeyValueServer(mode: .refusesSomeWrites)
        defer { server.stop() }
        let configuration = WorkloadConfiguration(
            name: "http-kv", nodes: [Endpoint(name: "s", host: "127.0.0.1", port: server.port)],
            clients: 3, keys: 2, rate: 600, duration: .milliseconds(300), backoffAfterFailure: .zero, seed: 15)
        let recording = try WorkloadRecorder.httpKeyValue(configuration, api: api).record()
        let turns = server.turnOfValue
        return (recording, turns, try Verdicts(recording))
    }

    /// The outcome each write got, by the server's answer to it.
    func outcomes(_ recording: WorkloadRecording, _ turns: [String: Int]) throws -> [Int: Set<Outcome>] {
        var byTurn: [Int: Set<Outcome>] = [:]
        for write in recording.workloadOperations where write.kind == .write {
            let turn = try #require(turns[write.value ?? ""], "the server never saw \(write.summary)")
            byTurn[turn, default: []].insert(write.outcome)
        }
        return byTurn
    }

    @Test("X-Applied: no is a failed write, X-Applied: unknown and a bare 503 indeterminate")
    func defaultReadsXApplied() throws {
        let (recording, turns, verdicts) = try record(api: .init())
        let byTurn = try outcomes(recording, turns)
        try #require(byTurn.count == 4, "every kind of answer was given: \(byTurn)")
        #expect(byTurn[0] == [.fail], "503 with X-Applied: no")
        #expect(byTurn[1] == [.info], "503 with x-applied: Unknown (header names and values are case-insensitive)")
        #expect(byTurn[2] == [.info], "a bare 503 may follow a commit")
        #expect(byTurn[3] == [.ok])
        #expect(recording.failureReasons.keys.contains { $0.hasSuffix("HTTP 503, X-Applied: no") }, "\(recording.failureReasons)")
        // The refusals were true (nothing was stored), so the failed writes keep the history linearizable.
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")
        #expect(verdicts.lostWrites.verdict == .ok, "\(verdicts.explanation)")
    }

    @Test("failed statuses make a bare 503 failed; the header still decides where it speaks")
    func configuredStatusesAndHeader() throws {
        var api = HTTPKeyValueRegisterClient.API()
        api.notAppliedStatuses.insert(503)
        let (recording, turns, verdicts) = try record(api: api)
        let byTurn = try outcomes(recording, turns)
        try #require(byTurn.count == 4, "\(byTurn)")
        #expect(byTurn[0] == [.fail])
        #expect(byTurn[1] == [.info], "X-Applied: unknown outranks the status")
        #expect(byTurn[2] == [.fail], "503 configured as failed")
        #expect(verdicts.linearizable == .ok, "\(verdicts.explanation)")

        // Another header name: X-Applied is then only a header like any other.
        var other = HTTPKeyValueRegisterClient.API()
        other.outcome = .init(name: "X-Committed", notApplied: ["false"], indeterminate: ["maybe"])
        let (otherRecording, otherTurns, _) = try record(api: other)
        let otherByTurn = try outcomes(otherRecording, otherTurns)
        #expect(otherByTurn[0] == [.info] && otherByTurn[1] == [.info] && otherByTurn[2] == [.info], "\(otherByTurn)")
    }

    @Test func classificationOfSingleAnswers() {
        let client = HTTPKeyValueRegisterClient(endpoint: Endpoint(name: "n", host: "127.0.0.1", port: 9))
        func reply(_ status: Int, _ headers: [(name: String, value: String)]) -> RegisterReply {
            client.classify(HTTPResponse(status: status, headers: headers), request: "PUT /kv/k", mismatch: [412])
        }
        #expect(reply(503, [("X-Applied", "no")]) == .notApplied("PUT /kv/k: HTTP 503, X-Applied: no"))
        #expect(reply(500, [("X-APPLIED", "NO")]) == .notApplied("PUT /kv/k: HTTP 500, X-Applied: NO"))
        #expect(reply(409, [("X-Applied", "unknown")]) == .indeterminate("PUT /kv/k: HTTP 409, X-Applied: unknown"))
        #expect(reply(503, [("X-Applied", "yes")]) == .indeterminate("PUT /kv/k: HTTP 503"), "an unlisted value: the status decides")
        #expect(reply(404, []) == .notApplied("PUT /kv/k: HTTP 404"))
        // An acknowledgement and a CAS mismatch are answers whatever the header says.
        #expect(reply(204, [("X-Applied", "no")]) == .ok(nil))
        #expect(reply(412, [("X-Applied", "unknown")]) == .casMismatch)
    }
}
