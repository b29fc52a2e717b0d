#if canImport(Glibc)
import Glibc
#endif

/// Steps the host's realtime clock by an offset (clock_settime, CAP_SYS_TIME), for hosts
/// that are disposable test machines or guests. Every process on the host sees it.
///
/// Gate: refused unless the spec carries `allowHostClockStep` (set only by the agent's
/// policy) — the check runs before any clock is read or written. Never on a shared
/// machine such as a development VM.
///
/// Revert steps back by the same offset, so time that elapsed while skewed is preserved.
/// It is idempotent without a marker on the host: the `Undo` records CLOCK_REALTIME and
/// CLOCK_BOOTTIME at prepare time (and the boot id). At revert, the unskewed realtime is
/// expected at `realtimeAtPrepare + (boottimeNow - boottimeAtPrepare)`; the measured
/// difference says whether the offset is still applied (step back), already gone
/// (nothing to do), the host rebooted (nothing to do; the RTC may keep the skew if
/// something wrote it back), or someone else moved the clock (refuse, `.conflict`).
///
/// Time synchronisation: chronyd, ntpd and systemd-timesyncd fight a stepped clock.
/// - To keep the skew, stop or pause sync first (`systemctl stop chronyd`, or
///   `chronyc offline` for chrony's sources; `timedatectl set-ntp false` for timesyncd)
///   and start it again after revert. This is the agent policy's job, not this shim's.
/// - If sync keeps running, chrony *slews* small offsets (at most 83 ms/s by default,
///   `maxslewrate`) and *steps* only per its `makestep` rule (usually the first updates
///   after start), so a +1 h skew would be worked off only slowly and partially; revert
///   then finds a drift that is neither the offset nor zero and refuses to step.
/// - After revert, `chronyc makestep` makes chrony correct any residue at once.
/// - Do not write the skewed time to the RTC (`hwclock --systohc`), and note that the
///   kernel's 11-minute mode copies system time to the RTC while NTP is synchronised.
public struct HostClockStep: ProcFaultMechanism {
    public struct Spec: Sendable, Codable, Equatable {
        /// Added to CLOCK_REALTIME (may be negative; not zero).
        public var offset: Duration
        /// The agent policy's explicit permission to change this host's clock.
        public var allowHostClockStep: Bool

        public init(offset: Duration, allowHostClockStep: Bool) {
            self.offset = offset
            self.allowHostClockStep = allowHostClockStep
        }
    }

    public struct Undo: Sendable, Codable, Equatable {
        public var offset: Duration
        public var bootID: String
        /// CLOCK_REALTIME at prepare, nanoseconds since the epoch.
        public var realtimeAtPrepare: Int64
        /// CLOCK_BOOTTIME at prepare, nanoseconds (keeps counting across suspend).
        public var boottimeAtPrepare: Int64
    }

    public struct Applied: Sendable, Codable, Equatable {
        public var steppedFrom: Int64
        public var steppedTo: Int64
        public var alreadyApplied: Bool
    }

    public static let name = "clock.host-step"
    public static let requires: [Requirement] = [.capability(.sysTime), .policy("allowHostClockStep")]

    public init() {}

    /// Reports the policy flag as missing: the agent's own policy decides; this shim
    /// cannot know it here, so `availability` covers only the capability.
    public func availability(capabilities: CapabilityReport) -> Availability {
        Availability.evaluate(mechanism: Self.name, requires: Self.requires, capabilities: capabilities,
                              otherMissing: [], notes: ["needs the agent policy flag allowHostClockStep per fault"])
    }

    /// The gate, without I/O: every entry point calls it first.
    public static func checkPolicy(_ spec: Spec) throws(ProcShimError) {
        guard spec.allowHostClockStep else {
            throw .refused("stepping the host clock needs the policy flag allowHostClockStep")
        }
        guard spec.offset != .zero else { throw .invalidSpec("host clock offset must not be zero") }
    }

    public func prepare(_ spec: Spec) throws(ProcShimError) -> Undo {
        try Self.checkPolicy(spec)
        return Undo(offset: spec.offset, bootID: try Self.bootID(),
                    realtimeAtPrepare: try Self.now(CLOCK_REALTIME), boottimeAtPrepare: try Self.now(CLOCK_BOOTTIME))
    }

    public func apply(_ spec: Spec, undo: Undo) throws(ProcShimError) -> Applied {
        try Self.checkPolicy(spec)
        let state = HostClockArithmetic.state(undo: undo, realtimeNow: try Self.now(CLOCK_REALTIME),
                                              boottimeNow: try Self.now(CLOCK_BOOTTIME), bootID: try Self.bootID())
        switch state {
        case .skewed:
            let now = try Self.now(CLOCK_REALTIME)
            return Applied(steppedFrom: now, steppedTo: now, alreadyApplied: true)
        case .unskewed:
            let now = try Self.now(CLOCK_REALTIME)
            let target = HostClockArithmetic.stepped(now, by: spec.offset.nanoseconds)
            try Self.set(target)
            return Applied(steppedFrom: now, steppedTo: target, alreadyApplied: false)
        case .rebooted:
            throw .conflict("host rebooted since prepare (boot id changed): not stepping")
        case .drifted(let drift):
            throw .conflict("host clock is \(drift) ns off the expected time, neither 0 nor the offset: not stepping")
        }
    }

    public func revert(_ undo: Undo) throws(ProcShimError) -> RevertReport {
        let state = HostClockArithmetic.state(undo: undo, realtimeNow: try Self.now(CLOCK_REALTIME),
                                              boottimeNow: try Self.now(CLOCK_BOOTTIME), bootID: try Self.bootID())
        switch state {
        case .unskewed:
            return RevertReport(entries: [.init(target: "host clock", outcome: .alreadyReverted, detail: "clock is unskewed")])
        case .rebooted:
            return RevertReport(entries: [.init(target: "host clock", outcome: .targetGone,
                                                detail: "host rebooted since the fault; check the RTC")])
        case .drifted(let drift):
            throw .conflict("host clock is \(drift) ns off the expected time, neither 0 nor the offset \(undo.offset): not stepping back")
        case .skewed:
            let now = try Self.now(CLOCK_REALTIME)
            try Self.set(HostClockArithmetic.stepped(now, by: -undo.offset.nanoseconds))
            return RevertReport(entries: [.init(target: "host clock", outcome: .reverted, detail: "stepped back by \(undo.offset)")])
        }
    }

    static func now(_ clock: clockid_t) throws(ProcShimError) -> Int64 {
        var ts = timespec()
        guard clock_gettime(clock, &ts) == 0 else { throw .lastErrno("clock_gettime", "clock \(clock)") }
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    private static func set(_ nanoseconds: Int64) throws(ProcShimError) {
        let (seconds, nanos) = HostClockArithmetic.split(nanoseconds)
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanos))
        guard clock_settime(CLOCK_REALTIME, &ts) == 0 else {
            throw .lastErrno("clock_settime", "CLOCK_REALTIME to \(seconds).\(nanos)")
        }
    }

    static func bootID() throws(ProcShimError) -> String {
        try SystemFiles.readText("/proc/sys/kernel/random/boot_id").trimmingSpaces
    }
}

/// The pure arithmetic of `HostClockStep` (nanoseconds throughout).
public enum HostClockArithmetic {
    public enum State: Equatable, Sendable {
        case unskewed
        case skewed
        case rebooted
        /// Off by this many nanoseconds, matching neither 0 nor the offset.
        case drifted(Int64)
    }

    public static func stepped(_ now: Int64, by offset: Int64) -> Int64 { now &+ offset }

    /// Seconds and non-negative nanoseconds of a time in nanoseconds.
    public static func split(_ nanoseconds: Int64) -> (seconds: Int64, nanoseconds: Int64) {
        var seconds = nanoseconds / 1_000_000_000
        var nanos = nanoseconds % 1_000_000_000
        if nanos < 0 { seconds -= 1; nanos += 1_000_000_000 }
        return (seconds, nanos)
    }

    /// How far realtime may be from its expected value and still count as "0" or "the
    /// offset": half the offset, at most 5 s (slewing by NTP, scheduling delays).
    public static func tolerance(for offset: Int64) -> Int64 {
        min(offset.magnitude / 2, 5_000_000_000).clampedToInt64
    }

    public static func state(undo: HostClockStep.Undo, realtimeNow: Int64, boottimeNow: Int64, bootID: String) -> State {
        guard bootID == undo.bootID else { return .rebooted }
        let expected = undo.realtimeAtPrepare &+ (boottimeNow &- undo.boottimeAtPrepare)
        let drift = realtimeNow &- expected
        let offset = undo.offset.nanoseconds
        let tolerance = tolerance(for: offset)
        if abs(drift) <= tolerance { return .unskewed }
        if abs(drift &- offset) <= tolerance { return .skewed }
        return .drifted(drift)
    }
}

extension UInt64 {
    var clampedToInt64: Int64 { self > UInt64(Int64.max) ? Int64.max : Int64(self) }
}
