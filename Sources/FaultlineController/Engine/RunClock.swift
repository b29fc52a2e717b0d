import Foundation

/// The run's time: seconds since the run started on a monotonic clock (for ordering,
/// durations and schedules, immune to a clock-skew experiment stepping the wall clock),
/// the wall time (for people), and sleeping.
///
/// The engine reads time only through this, so scheduling logic can be driven by a test
/// clock; `SystemRunClock` is the real one.
public protocol RunClock: Sendable {
    /// Seconds since the run started (monotonic).
    func now() -> Double
    func wall() -> Date
    /// Sleeps; throws `CancellationError` when the task is cancelled (an abort must never
    /// wait for a pause to end, unlike Chaos Toolkit's safeguards).
    func sleep(seconds: Double) async throws
}

extension RunClock {
    /// Sleeps until `t` (run seconds); returns at once if it has passed.
    public func sleep(until t: Double) async throws {
        let left = t - now()
        if left > 0 { try await sleep(seconds: left) }
    }
}

public struct SystemRunClock: RunClock {
    let start = ContinuousClock.now
    public init() {}
    public func now() -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
    public func wall() -> Date { Date() }
    public func sleep(seconds: Double) async throws {
        try await Task.sleep(for: .nanoseconds(Int64(max(0, seconds) * 1e9)))
    }
}
