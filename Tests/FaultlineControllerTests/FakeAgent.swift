import FaultlineAgentAPI
import FaultlineCore
import Foundation
import Synchronization

/// An in-memory `AgentClient` for the engine's scheduling edge cases only (an apply still
/// in flight when a guard trips, a capability missing, a halted fault): what it holds is
/// inspected after the run. Real faults on real agents are in the end-to-end tests.
final class FakeAgent: AgentClient, Sendable {
    let endpoint: AgentEndpoint
    struct State {
        var held: [String: Fault] = [:]
        var calls: [String] = []
        var renewals: [[String]] = []
        var unavailable: [FaultKind: String] = [:]
        var applyDelay: Duration = .zero
        var unreachable = false
        /// Ids to forget on the next renewal (as if their lease had run out), recording why.
        var forgetOnRenew = false
        /// What it reverted by itself, as a real agent answers in `GET /v1/faults`.
        var reverted: [RevertedFault] = []
    }
    let state = Mutex(State())

    init(_ name: String) { endpoint = AgentEndpoint(name: name, address: "127.0.0.1", port: 1) }

    var calls: [String] { state.withLock { $0.calls } }
    var held: [String: Fault] { state.withLock { $0.held } }
    var renewals: [[String]] { state.withLock { $0.renewals } }

    private func enter(_ call: String) throws {
        let down = state.withLock { s in s.calls.append(call); return s.unreachable }
        if down { throw AgentCallError(endpoint: endpoint, status: nil, reason: "connection refused") }
    }

    func health() async throws -> AgentHealth { try enter("health"); return AgentHealth(status: "ok", faults: held.count, host: endpoint.name) }
    func capabilities() async throws -> CapabilityReport {
        try enter("capabilities")
        let missing = state.withLock { $0.unavailable }
        return CapabilityReport(faults: FaultKind.allCases.map { CapabilityEntry(kind: $0, available: missing[$0] == nil, reason: missing[$0]) }, holds: [])
    }
    func apply(id: String, fault: Fault, lease: TimeSpan) async throws -> ApplyResult {
        try enter("apply \(id)")
        let delay = state.withLock { $0.applyDelay }
        if delay > .zero { try? await Task.sleep(for: delay) }
        state.withLock { $0.held[id] = fault }
        return ApplyResult(id: id, status: "applied")
    }
    func renew(ids: [String]) async throws -> RenewalResult {
        try enter("renew")
        return state.withLock { s in
            s.renewals.append(ids)
            if s.forgetOnRenew {
                let now = RevertedFault.timestamp(Date())
                s.reverted += s.held.map { RevertedFault(id: $0.key, kind: $0.value.kind.rawValue, reason: .leaseExpired, revertedAt: now) }
                s.held = [:]
            }
            let unknown = ids.filter { s.held[$0] == nil }
            return RenewalResult(renewed: ids.filter { s.held[$0] != nil }, unknown: unknown)
        }
    }
    func faults() async throws -> [AppliedFault] { [] }
    func faultsAndReverts() async throws -> AppliedFaults {
        try enter("faults")
        return AppliedFaults(faults: [], reverted: state.withLock { $0.reverted })
    }
    func revert(id: String) async throws -> Bool {
        try enter("revert \(id)")
        return state.withLock { $0.held.removeValue(forKey: id) != nil }
    }
    func revertAll() async throws -> [String] {
        try enter("revertAll")
        return state.withLock { s in defer { s.held = [:] }; return Array(s.held.keys) }
    }
}
