import FaultlineCore
import Foundation

/// What this agent is willing to do on its host, from its configuration.
///
/// The agent refuses (HTTP 403, with the reason) any fault the policy does not allow,
/// before anything is written or touched. Defaults are conservative: network, process
/// pause and kill faults are allowed; host-scope clock skew is not.
public struct AgentPolicy: Sendable, Hashable, Codable {
    /// Fault kinds this agent may apply.
    public var allowedKinds: Set<FaultKind> = Set(FaultKind.allCases)
    /// Faults applied at once, at most.
    public var maxConcurrentFaults: Int = 16
    /// Longest lease a controller may ask for, in seconds.
    public var maxLeaseSeconds: Double = 600
    /// Interfaces network faults may name; empty allows any.
    public var interfaces: [String] = []
    /// Process names (`comm`) kill, pause and clock faults may target; empty allows any.
    public var processNames: [String] = []
    /// Host-scope clock skew steps the host's clock: only on dedicated staging VMs.
    public var allowHostClock: Bool = false

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case allowedKinds = "allowed-kinds", maxConcurrentFaults = "max-concurrent-faults", maxLeaseSeconds = "max-lease-seconds"
        case interfaces, processNames = "process-names", allowHostClock = "allow-host-clock"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AgentPolicy()
        allowedKinds = try c.decodeIfPresent(Set<FaultKind>.self, forKey: .allowedKinds) ?? defaults.allowedKinds
        maxConcurrentFaults = try c.decodeIfPresent(Int.self, forKey: .maxConcurrentFaults) ?? defaults.maxConcurrentFaults
        maxLeaseSeconds = try c.decodeIfPresent(Double.self, forKey: .maxLeaseSeconds) ?? defaults.maxLeaseSeconds
        interfaces = try c.decodeIfPresent([String].self, forKey: .interfaces) ?? []
        processNames = try c.decodeIfPresent([String].self, forKey: .processNames) ?? []
        allowHostClock = try c.decodeIfPresent(Bool.self, forKey: .allowHostClock) ?? false
    }

    /// Why this fault may not be applied now, or nil if it may.
    public func refusal(of fault: Fault, leaseSeconds: Double, applied: Int) -> String? {
        if !allowedKinds.contains(fault.kind) {
            return "policy: fault kind '\(fault.kind.rawValue)' is not allowed on this host (allowed: \(allowedKinds.map(\.rawValue).sorted().joined(separator: ", ")))"
        }
        if leaseSeconds > maxLeaseSeconds {
            return "policy: lease \(leaseSeconds)s exceeds this host's maximum of \(maxLeaseSeconds)s"
        }
        if applied >= maxConcurrentFaults {
            return "policy: \(applied) faults are applied; this host allows at most \(maxConcurrentFaults) at once"
        }
        if let device = fault.filter?.device, !interfaces.isEmpty, !interfaces.contains(device) {
            return "policy: interface '\(device)' is not among this host's allowed interfaces (\(interfaces.joined(separator: ", ")))"
        }
        if case .clock(let c) = fault, c.scope == .host, !allowHostClock {
            return "policy: host-scope clock skew is not allowed on this host (set allow-host-clock: true only on dedicated VMs)"
        }
        if !processNames.isEmpty, let selector = processSelector(of: fault) {
            guard case .name(let name) = selector, processNames.contains(name) else {
                return "policy: this host only allows process faults on processes named \(processNames.joined(separator: ", ")); \(selector) is not one of them"
            }
        }
        return nil
    }

    /// Why a process preview (`POST /v1/processes`) may not be answered: the same rules as a
    /// process fault, so a caller cannot learn about processes a fault could not touch.
    public func refusal(toSelect selector: ProcessSelector) -> String? {
        let processKinds: Set<FaultKind> = [.kill, .pause, .clock]
        if allowedKinds.isDisjoint(with: processKinds) {
            return "policy: this host allows no process faults (allowed: \(allowedKinds.map(\.rawValue).sorted().joined(separator: ", "))), so it previews no processes"
        }
        if !processNames.isEmpty {
            guard case .name(let name) = selector, processNames.contains(name) else {
                return "policy: this host only allows process faults on processes named \(processNames.joined(separator: ", ")); \(selector) is not one of them"
            }
        }
        return nil
    }

    func processSelector(of fault: Fault) -> ProcessSelector? {
        switch fault {
        case .kill(let k): k.process
        case .pause(let p): p.process
        case .clock(let c): c.process
        default: nil
        }
    }
}
