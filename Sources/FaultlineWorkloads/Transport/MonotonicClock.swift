#if canImport(Glibc)
import Glibc
#endif

/// Reads CLOCK_MONOTONIC in nanoseconds.
///
/// Histories need one clock shared by every client of a run that never steps: a fault
/// plan may skew the realtime clock of the machine under test, and NTP may step ours.
/// CLOCK_MONOTONIC is immune to both (time namespaces aside, which we never enter).
public enum MonotonicClock {
    public static func now() -> UInt64 {
        var spec = timespec()
        // clock_gettime(CLOCK_MONOTONIC) cannot fail with a valid pointer.
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// A point on the monotonic clock by which an I/O step must finish.
public struct Deadline: Sendable, Comparable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// `timeout` from now.
    public static func after(_ timeout: Duration) -> Deadline {
        Deadline(nanoseconds: MonotonicClock.now() &+ timeout.nanoseconds)
    }

    public var hasPassed: Bool { MonotonicClock.now() >= nanoseconds }

    /// Milliseconds left for poll(2), rounded up so that we never spin on a 0 ms poll
    /// while time remains; 0 once passed.
    var pollMilliseconds: Int32 {
        let now = MonotonicClock.now()
        guard nanoseconds > now else { return 0 }
        let ms = (nanoseconds - now + 999_999) / 1_000_000
        return Int32(clamping: ms)
    }

    public static func < (a: Deadline, b: Deadline) -> Bool { a.nanoseconds < b.nanoseconds }
}

extension Duration {
    /// Whole nanoseconds, negative durations as 0.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
