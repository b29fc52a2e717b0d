/// How many hosts of an `each` probe's target must pass for the probe to pass: a guard
/// named "a majority still answers" passes while a majority answers, not only while all do.
public enum HostRequirement: Sendable, Hashable, CustomStringConvertible {
    /// Every host (the default).
    case all
    /// At least one host.
    case any
    /// More than half of the hosts probed.
    case majority
    /// At least this many hosts (≥ 1).
    case atLeast(Int)

    /// Hosts that must pass out of `hosts` probed.
    public func needed(of hosts: Int) -> Int {
        switch self {
        case .all: hosts
        case .any: min(1, hosts)
        case .majority: hosts / 2 + 1
        case .atLeast(let n): n
        }
    }

    /// Whether `passed` of `hosts` probed meets the requirement. No host probed never
    /// passes: a probe with nothing to ask has not seen the system healthy.
    public func isMet(passed: Int, of hosts: Int) -> Bool {
        hosts > 0 && passed >= max(1, needed(of: hosts))
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .any: "any"
        case .majority: "majority"
        case .atLeast(let n): "at least \(n)"
        }
    }
}
