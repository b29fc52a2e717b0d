/// Something a mechanism needs from the host.
public enum Requirement: Hashable, Sendable, Codable, CustomStringConvertible {
    /// An effective capability.
    case capability(Capability)
    /// A kernel feature, named with the interface and the kernel that added it,
    /// e.g. `pidfd_open(2) (Linux 5.3)`.
    case kernelFeature(String)
    /// The CPU architecture the mechanism is written for.
    case architecture(String)
    /// An explicit permission from the agent's policy (e.g. stepping the host clock).
    case policy(String)

    public var description: String {
        switch self {
        case .capability(let cap): return cap.rawValue
        case .kernelFeature(let feature): return "kernel feature \(feature)"
        case .architecture(let arch): return "architecture \(arch)"
        case .policy(let flag): return "policy permission \(flag)"
        }
    }
}

/// Whether a mechanism can run here and, if not, exactly what is missing.
public struct Availability: Equatable, Sendable, Codable, CustomStringConvertible {
    public var mechanism: String
    /// Everything the mechanism needs, for the agent's capability report.
    public var requires: [Requirement]
    /// The subset of `requires` this host lacks; empty means available.
    public var missing: [Requirement]
    /// Extra facts found while checking (which cgroup hierarchy, the vDSO address, ...).
    public var notes: [String]

    public var isAvailable: Bool { missing.isEmpty }

    public init(mechanism: String, requires: [Requirement], missing: [Requirement], notes: [String] = []) {
        self.mechanism = mechanism
        self.requires = requires
        self.missing = missing
        self.notes = notes
    }

    public var description: String {
        isAvailable
            ? "\(mechanism): available" + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
            : "\(mechanism): unavailable, missing \(missing.map(\.description).joined(separator: ", "))"
    }

    /// Throws `.unavailable` unless available.
    public func check() throws(ProcShimError) {
        if !isAvailable { throw .unavailable(mechanism: mechanism, missing: missing) }
    }

    /// Builds an availability from the capability part of `requires` plus other missing items.
    static func evaluate(mechanism: String, requires: [Requirement], capabilities: CapabilityReport,
                         otherMissing: [Requirement], notes: [String] = []) -> Availability {
        var missing: [Requirement] = []
        for requirement in requires {
            if case .capability(let cap) = requirement, !capabilities.holds(cap) { missing.append(requirement) }
        }
        missing += otherMissing
        return Availability(mechanism: mechanism, requires: requires, missing: missing, notes: notes)
    }
}
