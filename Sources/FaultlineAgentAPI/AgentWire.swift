import FaultlineCore
import Foundation

/// The agent's JSON bodies, shared by the agent (which decodes requests and encodes
/// answers) and the controller (the other way round), so the two cannot drift apart.
///
///     GET    /v1/health           → AgentHealth
///     GET    /v1/capabilities     → CapabilityReport
///     GET    /v1/faults           → AppliedFaults (and the most recent reverts, with reason and time)
///     PUT    /v1/faults/{id}      ApplyRequest → ApplyResult (201 applied, 200 already applied)
///     DELETE /v1/faults/{id}      → ApplyResult with `reverted` (404 when not applied); `?reason=duration|guard|abort|halt`
///     DELETE /v1/faults           → HaltResult; `?reason=halt|abort|guard`
///     POST   /v1/leases           LeaseRenewal → RenewalResult
///     POST   /v1/processes        ProcessQuery → MatchedProcesses (what a selector would hit; touches nothing)
///     GET    /metrics             Prometheus text
///
/// Every error is `{"error": "<reason>"}` with a 4xx (the caller's mistake) or 5xx status.
public enum AgentWire {
    /// The default lease when a request names none.
    public static let defaultLease = TimeSpan.seconds(10)
    /// Reverts an agent remembers for `GET /v1/faults`.
    public static let revertHistory = 256
}

public struct AgentHealth: Codable, Sendable, Hashable {
    public var status: String
    public var faults: Int
    public var host: String?
    /// The agent's `FaultlineVersion.current`. Optional: an agent built before the field
    /// existed omits it, and its answer still decodes.
    public var version: String?
    public init(status: String, faults: Int, host: String?, version: String? = nil) {
        self.status = status; self.faults = faults; self.host = host; self.version = version
    }
}

public struct CapabilityEntry: Codable, Sendable, Hashable {
    public var kind: FaultKind
    public var available: Bool
    /// Why this host cannot inject `kind` (a missing capability or kernel feature).
    public var reason: String?
    /// What carries the kind out on this host when available ("netem (ingress, ifb)", "nftables", …).
    public var mechanism: String?
    public init(kind: FaultKind, available: Bool, reason: String?, mechanism: String? = nil) {
        self.kind = kind; self.available = available; self.reason = reason; self.mechanism = mechanism
    }
}

public struct CapabilityReport: Codable, Sendable, Hashable {
    public var faults: [CapabilityEntry]
    /// Process capabilities the agent holds (CAP_NET_ADMIN, …).
    public var holds: [String]
    public init(faults: [CapabilityEntry], holds: [String]) { self.faults = faults; self.holds = holds }
    public func reason(kind: FaultKind) -> String? {
        guard let entry = faults.first(where: { $0.kind == kind }) else { return "the agent does not know fault kind \(kind.rawValue)" }
        return entry.available ? nil : (entry.reason ?? "unavailable")
    }
}

public struct ApplyRequest: Codable, Sendable, Hashable {
    public var fault: Fault
    public var lease: TimeSpan?
    public init(fault: Fault, lease: TimeSpan?) { self.fault = fault; self.lease = lease }
}

public struct ApplyResult: Codable, Sendable, Hashable {
    public var id: String
    public var status: String
    /// On a revert: why and when the agent reverted it.
    public var reverted: RevertedFault?
    public init(id: String, status: String, reverted: RevertedFault? = nil) { self.id = id; self.status = status; self.reverted = reverted }
}

public struct AppliedFault: Codable, Sendable, Hashable {
    public var id: String
    public var fault: Fault
    public var leaseSeconds: Double
    public var leaseRemainingSeconds: Double
    public init(id: String, fault: Fault, leaseSeconds: Double, leaseRemainingSeconds: Double) {
        self.id = id; self.fault = fault; self.leaseSeconds = leaseSeconds; self.leaseRemainingSeconds = leaseRemainingSeconds
    }
}

public struct AppliedFaults: Codable, Sendable, Hashable {
    public var faults: [AppliedFault]
    /// The agent's most recent reverts (at most `AgentWire.revertHistory`), oldest first:
    /// how the controller learns of reverts it did not ask for (lease, recovery).
    public var reverted: [RevertedFault]
    public init(faults: [AppliedFault], reverted: [RevertedFault] = []) { self.faults = faults; self.reverted = reverted }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        faults = try c.decode([AppliedFault].self, forKey: .faults)
        reverted = try c.decodeIfPresent([RevertedFault].self, forKey: .reverted) ?? []
    }
}

public struct HaltResult: Codable, Sendable, Hashable {
    public var reverted: [String]
    /// Each revert with the agent's reason and time, in the order done.
    public var faults: [RevertedFault]
    public init(reverted: [String], faults: [RevertedFault] = []) { self.reverted = reverted; self.faults = faults }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reverted = try c.decode([String].self, forKey: .reverted)
        faults = try c.decodeIfPresent([RevertedFault].self, forKey: .faults) ?? []
    }
}

public struct LeaseRenewal: Codable, Sendable, Hashable {
    public var ids: [String]
    public init(ids: [String]) { self.ids = ids }
}

public struct RenewalResult: Codable, Sendable, Hashable {
    public var renewed: [String]
    public var unknown: [String]
    public init(renewed: [String], unknown: [String]) { self.renewed = renewed; self.unknown = unknown }
}

public struct AgentErrorBody: Codable, Sendable, Hashable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// Which processes a selector would reach on this host, for `faultline plan`'s preview.
public struct ProcessQuery: Codable, Sendable, Hashable {
    public var process: ProcessSelector
    public init(process: ProcessSelector) { self.process = process }
}

public struct MatchedProcess: Codable, Sendable, Hashable {
    public var pid: Int32
    public var name: String
    public var commandLine: String
    public init(pid: Int32, name: String, commandLine: String) { self.pid = pid; self.name = name; self.commandLine = commandLine }
}

public struct MatchedProcesses: Codable, Sendable, Hashable {
    public var processes: [MatchedProcess]
    public init(processes: [MatchedProcess]) { self.processes = processes }
}
