#if canImport(Glibc)
import Glibc
#endif

/// Spaces one client's operations `interval` apart, to hold a workload's total rate.
///
/// Each client paces itself (total rate ÷ clients), so clients share nothing. A client
/// that fell behind (a slow operation) does not burst to catch up: it resumes the rate
/// from now, as a load generator that wants a steady offered load should.
struct Pacer {
    let intervalNanoseconds: UInt64
    private var next: UInt64

    init(interval: Duration) {
        intervalNanoseconds = interval.nanoseconds
        next = MonotonicClock.now()
    }

    /// Sleeps until the next slot, unless `stopRequested` turns true first (checked
    /// every 50 ms, so a stop is not held up by a low rate).
    mutating func waitForNextSlot(stopRequested: () -> Bool) {
        let now = MonotonicClock.now()
        if next < now { next = now }
        while true {
            let current = MonotonicClock.now()
            guard current < next, !stopRequested() else { break }
            let nap = min(next - current, 50_000_000)
            var request = timespec(tv_sec: Int(nap / 1_000_000_000), tv_nsec: Int(nap % 1_000_000_000))
            var remaining = timespec()
            _ = nanosleep(&request, &remaining)
        }
        next += intervalNanoseconds
    }
}

/// Sleeps for `duration` on the monotonic clock (EINTR-safe).
func sleepMonotonic(_ duration: Duration) {
    let end = MonotonicClock.now() &+ duration.nanoseconds
    while true {
        let now = MonotonicClock.now()
        guard now < end else { return }
        let nap = end - now
        var request = timespec(tv_sec: Int(nap / 1_000_000_000), tv_nsec: Int(nap % 1_000_000_000))
        var remaining = timespec()
        _ = nanosleep(&request, &remaining)
    }
}
