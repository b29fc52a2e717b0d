import CCap

/// The Linux capabilities Faultline's mechanisms need (capabilities(7)).
public enum Capability: String, CaseIterable, Sendable, Codable, Hashable, CustomStringConvertible {
    case netAdmin = "CAP_NET_ADMIN"
    /// The delay engine's raw socket (latency where the kernel has no netem).
    case netRaw = "CAP_NET_RAW"
    case kill = "CAP_KILL"
    case sysPtrace = "CAP_SYS_PTRACE"
    case sysTime = "CAP_SYS_TIME"
    case sysAdmin = "CAP_SYS_ADMIN"
    case dacOverride = "CAP_DAC_OVERRIDE"

    /// libcap's number for it.
    var value: cap_value_t {
        switch self {
        case .netAdmin: return cap_value_t(CAP_NET_ADMIN)
        case .netRaw: return cap_value_t(CAP_NET_RAW)
        case .kill: return cap_value_t(CAP_KILL)
        case .sysPtrace: return cap_value_t(CAP_SYS_PTRACE)
        case .sysTime: return cap_value_t(CAP_SYS_TIME)
        case .sysAdmin: return cap_value_t(CAP_SYS_ADMIN)
        case .dacOverride: return cap_value_t(CAP_DAC_OVERRIDE)
        }
    }

    public var description: String { rawValue }
}
