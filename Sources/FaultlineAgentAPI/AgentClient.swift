import FaultlineCore
import Foundation

/// Where an agent listens, and the name its certificate carries.
public struct AgentEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The inventory's host name (for messages and certificate checks by name).
    public var name: String
    public var address: String
    public var port: Int
    public init(name: String, address: String, port: Int) { self.name = name; self.address = address; self.port = port }
    public var description: String { "\(name) (\(address):\(port))" }
}

/// A failed call to an agent: `status` is nil when no HTTP answer came at all
/// (refused, timed out, TLS handshake failed).
public struct AgentCallError: Error, Sendable, CustomStringConvertible {
    public var endpoint: AgentEndpoint
    public var status: Int?
    public var reason: String
    public init(endpoint: AgentEndpoint, status: Int?, reason: String) { self.endpoint = endpoint; self.status = status; self.reason = reason }
    public var description: String {
        if let status { return "agent \(endpoint): \(status): \(reason)" }
        return "agent \(endpoint) unreachable: \(reason)"
    }
}

/// The controller's view of one agent: the `/v1` API as typed calls.
///
/// The seam between the experiment engine and the network, as swift-nio keeps protocols
/// at its seams: the engine is written against this, `HTTPAgentClient` is the real one.
public protocol AgentClient: Sendable {
    var endpoint: AgentEndpoint { get }
    func health() async throws -> AgentHealth
    func capabilities() async throws -> CapabilityReport
    /// Applies (or, for an id already applied with the same fault, renews) a fault.
    func apply(id: String, fault: Fault, lease: TimeSpan) async throws -> ApplyResult
    func renew(ids: [String]) async throws -> RenewalResult
    func faults() async throws -> [AppliedFault]
    /// Reverts one fault; false when the agent does not hold it.
    func revert(id: String) async throws -> Bool
    /// Reverts everything on the host (halt); answers the ids reverted.
    func revertAll() async throws -> [String]
    /// The processes `selector` would reach on the host now (touches nothing).
    func processes(matching selector: ProcessSelector) async throws -> [MatchedProcess]
    /// Reverts one fault saying why; the agent's record of it (reason, time), nil when the
    /// agent does not hold it.
    func revert(id: String, reason: RevertReason) async throws -> RevertedFault?
    /// Reverts everything saying why; the agent's record of each revert.
    func revertAll(reason: RevertReason) async throws -> [RevertedFault]
    /// Applied faults and the agent's most recent reverts (reason and time).
    func faultsAndReverts() async throws -> AppliedFaults
}

extension AgentClient {
    /// Clients without the agent's records (test doubles) answer from the older calls; the
    /// time is the controller's, and the reason the one asked for.
    public func revert(id: String, reason: RevertReason) async throws -> RevertedFault? {
        try await revert(id: id) ? RevertedFault(id: id, kind: "", reason: reason, revertedAt: RevertedFault.timestamp(Date())) : nil
    }
    public func revertAll(reason: RevertReason) async throws -> [RevertedFault] {
        let now = RevertedFault.timestamp(Date())
        return try await revertAll().map { RevertedFault(id: $0, kind: "", reason: reason, revertedAt: now) }
    }
    public func faultsAndReverts() async throws -> AppliedFaults { AppliedFaults(faults: try await faults()) }

    /// Clients that cannot answer previews (test doubles) say so instead of guessing.
    public func processes(matching selector: ProcessSelector) async throws -> [MatchedProcess] {
        throw AgentCallError(endpoint: endpoint, status: 501, reason: "this client cannot preview process selectors")
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPAgentResponse) throws -> T {
        guard (200..<300).contains(response.status) else {
            let reason = (try? JSONDecoder().decode(AgentErrorBody.self, from: Data(response.body)))?.error
                ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            throw AgentCallError(endpoint: endpoint, status: response.status, reason: reason)
        }
        do { return try JSONDecoder().decode(T.self, from: Data(response.body)) } catch {
            throw AgentCallError(endpoint: endpoint, status: response.status, reason: "unreadable answer: \(error)")
        }
    }
}

public struct HTTPAgentResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    var _keepAlive = false
    public init(status: Int, body: [UInt8]) { self.status = status; self.body = body }
}
