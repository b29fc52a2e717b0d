#if canImport(Glibc)
import Glibc
#endif
import CCap

/// Which of Faultline's capabilities a process holds, per set, as libcap reports them.
///
/// The agent logs `CapabilityReport.current()` at start and uses it in its capability
/// report: a mechanism is available only if its required capabilities are *effective*.
/// Permitted-but-not-effective capabilities are shown so an operator can see that a
/// wrapper dropped them (e.g. systemd `CapabilityBoundingSet=`).
public struct CapabilityReport: Equatable, Sendable, Codable, CustomStringConvertible {
    public struct Sets: Equatable, Sendable, Codable {
        public var effective: Bool
        public var permitted: Bool
        public var inheritable: Bool
        public var ambient: Bool
    }

    /// The process this report describes.
    public var pid: Int32
    public var sets: [Capability: Sets]

    public init(pid: Int32, sets: [Capability: Sets]) {
        self.pid = pid
        self.sets = sets
    }

    /// Whether `capability` is in the effective set (what the kernel checks).
    public func holds(_ capability: Capability) -> Bool {
        sets[capability]?.effective ?? false
    }

    /// The capabilities in `required` that are not effective.
    public func missing(_ required: [Capability]) -> [Capability] {
        required.filter { !holds($0) }
    }

    /// One line per capability, for the agent's start-up log:
    /// `CAP_KILL effective permitted -inheritable -ambient`.
    public var description: String {
        Capability.allCases.map { cap in
            let s = sets[cap] ?? Sets(effective: false, permitted: false, inheritable: false, ambient: false)
            return "\(cap.rawValue) \(s.effective ? "" : "-")effective \(s.permitted ? "" : "-")permitted "
                + "\(s.inheritable ? "" : "-")inheritable \(s.ambient ? "" : "-")ambient"
        }.joined(separator: "\n")
    }

    /// The calling process (cap_get_proc(3), cap_get_ambient(3)).
    public static func current() throws(ProcShimError) -> CapabilityReport {
        guard let caps = cap_get_proc() else { throw .lastErrno("cap_get_proc", "self") }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        var sets: [Capability: Sets] = [:]
        for cap in Capability.allCases {
            let ambient = cap_get_ambient(cap.value)
            sets[cap] = Sets(
                effective: try flag(caps, cap, CAP_EFFECTIVE, "self"),
                permitted: try flag(caps, cap, CAP_PERMITTED, "self"),
                inheritable: try flag(caps, cap, CAP_INHERITABLE, "self"),
                ambient: ambient > 0)
        }
        return CapabilityReport(pid: getpid(), sets: sets)
    }

    /// Another process (cap_get_pid(3)); the ambient set comes from CapAmb in
    /// /proc/PID/status because libcap reads ambient capabilities only for itself.
    public static func of(pid: Int32) throws(ProcShimError) -> CapabilityReport {
        guard let caps = cap_get_pid(pid) else { throw .lastErrno("cap_get_pid", "pid \(pid)") }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        let ambientMask = try ProcStatus.capabilityMask(named: "CapAmb",
                                                        in: SystemFiles.readText("/proc/\(pid)/status"))
        var sets: [Capability: Sets] = [:]
        for cap in Capability.allCases {
            sets[cap] = Sets(
                effective: try flag(caps, cap, CAP_EFFECTIVE, "pid \(pid)"),
                permitted: try flag(caps, cap, CAP_PERMITTED, "pid \(pid)"),
                inheritable: try flag(caps, cap, CAP_INHERITABLE, "pid \(pid)"),
                ambient: (ambientMask >> UInt64(cap.value)) & 1 == 1)
        }
        return CapabilityReport(pid: pid, sets: sets)
    }

    private static func flag(_ caps: cap_t, _ cap: Capability, _ set: cap_flag_t, _ who: String)
        throws(ProcShimError) -> Bool
    {
        var value = CAP_CLEAR
        guard cap_get_flag(caps, cap.value, set, &value) == 0 else {
            throw .lastErrno("cap_get_flag", "\(who) \(cap.rawValue)")
        }
        return value == CAP_SET
    }
}

/// The capability masks of /proc/PID/status (`CapEff:\t000001ffffffffff`), parsed without I/O.
public enum ProcStatus {
    public static func capabilityMask(named field: String, in text: String) throws(ProcShimError) -> UInt64 {
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let hex = line.dropFirst(field.count + 1).trimmingSpaces
            if let mask = UInt64(hex, radix: 16) { return mask }
        }
        throw .malformed(what: "/proc/PID/status", detail: "no \(field) line")
    }
}
