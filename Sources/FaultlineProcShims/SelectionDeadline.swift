#if canImport(Glibc)
import Glibc
#endif

/// When a process selection must give up: a caller's selector may name a huge cgroup tree
/// or a host with many thousands of processes, and the agent answers within a bound
/// instead of holding a worker forever.
public struct SelectionDeadline: Sendable {
    let endNanos: UInt64?
    let limit: Duration

    /// No deadline (tests, benchmarks, the agent's own recovery).
    public static let none = SelectionDeadline(endNanos: nil, limit: .zero)

    /// `limit` from now on the monotonic clock.
    public static func after(_ limit: Duration) -> SelectionDeadline {
        let (seconds, attoseconds) = limit.components
        let nanos = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        return SelectionDeadline(endNanos: now() + nanos, limit: limit)
    }

    func check(_ what: String) throws(ProcShimError) {
        guard let endNanos, Self.now() > endNanos else { return }
        throw .timedOut(what: what, after: limit)
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
