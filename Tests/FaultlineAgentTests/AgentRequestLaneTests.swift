@testable import FaultlineAgent
import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import NIOPosix
import Testing

/// Issue 14: request handlers get a bounded pool of their own, and health, renewals and
/// halt a lane of their own. The server runs in process on loopback with an injector
/// whose process lookups take 2 s (a selector at its deadline): the only way to hold a
/// handler that long now that real selectors are bounded and fast.
@Suite("agent request lanes", .serialized)
struct AgentRequestLaneTests {
    /// Every lookup blocks for `delay`; nothing else does anything.
    struct SlowLookups: FaultInjector {
        let delay: TimeInterval
        func undoRecord(id: String, fault: Fault) throws -> Data { Data("{}".utf8) }
        func apply(id: String, fault: Fault, undo: Data) throws {}
        func revert(undo: Data) throws {}
        func unavailability(of kind: FaultKind) -> String? { nil }
        func processes(matching selector: ProcessSelector) throws -> [MatchedProcess] { Thread.sleep(forTimeInterval: delay); return [] }
        func conflict(of fault: Fault, with existing: [Fault]) -> String? { nil }
    }

    @Test("64 stuck queries: the excess get a 503 with a reason at once, health, a renewal and halt each answer in < 100 ms")
    func stuckRequestsCannotStarveTheControlLane() async throws {
        let directory = try TemporaryDirectory("lanes")
        defer { directory.remove() }
        let service = try AgentService(injector: SlowLookups(delay: 2), policy: AgentPolicy(), ledgerPath: directory.path + "/ledger.jsonl")
        let router = AgentRouter(service: service) { CapabilityReport(faults: [], holds: []) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let lines = LockedLines()
        var limits = ServerLimits()
        limits.connectionsPerPeer = 128  // every client here is 127.0.0.1
        let server = try await AgentServer.start(host: "127.0.0.1", port: 0, router: router, tls: nil, limits: limits,
                                                 group: group, log: AgentLog(capture: { lines.append($0) }))
        let endpoint = AgentEndpoint(name: "lanes", address: "127.0.0.1", port: server.port)
        func client() -> HTTPAgentClient { HTTPAgentClient(endpoint: endpoint, security: .insecure(bearerToken: nil), timeout: .seconds(10)) }
        let setup = client()
        _ = try await setup.apply(id: "held", fault: .loss(Loss(percent: Percent(points: 1))), lease: .seconds(30))
        setup.close()

        let query = Array(#"{"process":{"name":"etcd"}}"#.utf8)
        let flood = (0..<64).map { _ in
            Task { () -> HTTPAgentResponse in
                let c = client()
                defer { c.close() }
                return try await c.send(method: "POST", path: "/v1/processes", body: query)
            }
        }
        try await Task.sleep(for: .milliseconds(300))  // all 64 have reached the agent
        var timings: [String] = []
        for name in ["health", "renew", "halt"] {
            let c = client()
            defer { c.close() }
            let started = ContinuousClock.now
            switch name {
            case "health": #expect(try await c.health().status == "ok")
            case "renew": #expect(try await c.renew(ids: ["held"]).renewed == ["held"])
            default: #expect(try await c.revertAll(reason: .halt).map(\.id) == ["held"])
            }
            let elapsed = ContinuousClock.now - started
            timings.append("\(name) \(elapsed)")
            #expect(elapsed < .milliseconds(100), "\(name) took \(elapsed) behind 64 stuck queries")
        }
        var statuses: [Int] = []
        var busyReason = ""
        for task in flood {
            let response = try await task.value
            statuses.append(response.status)
            if response.status == 503 { busyReason = String(decoding: response.body, as: UTF8.self) }
        }
        print("lanes: control calls behind 64 stuck queries: \(timings.joined(separator: ", ")); flood answered \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        // 8 workers run, 16 wait, the other 40 are told at once (ServerLimits).
        #expect(statuses.filter { $0 == 503 }.count == 40, "\(statuses)")
        #expect(statuses.filter { $0 == 200 }.count == 24, "\(statuses)")
        #expect(busyReason.contains("agent busy: ") && busyReason.contains("work requests running") && busyReason.contains("(at most 8 and 16); retry shortly"), "\(busyReason)")
        #expect(lines.all.contains { $0.contains("call peer=127.0.0.1:") && $0.contains("result=503 reason=agent busy") })
        try await server.close()
        try await group.shutdownGracefully()
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
