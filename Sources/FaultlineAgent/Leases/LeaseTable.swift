/// Leases of applied faults: a pure state machine over a monotonic clock.
///
/// Every fault is granted a lease when applied; the controller renews leases in batches;
/// the reaper asks `expired(at:)` on a short tick and reverts what it returns. Time comes
/// in as a parameter (monotonic nanoseconds), so tests drive it without sleeping.
public struct LeaseTable: Sendable, Hashable {
    public private(set) var deadlines: [String: UInt64] = [:]
    public private(set) var lengths: [String: UInt64] = [:]

    public init() {}

    public mutating func grant(_ id: String, lengthNanos: UInt64, now: UInt64) {
        lengths[id] = lengthNanos
        deadlines[id] = now &+ lengthNanos
    }

    /// Renews the given leases by their own length from `now`; returns the ids it does not
    /// hold (already reverted or never applied), which the controller must know about.
    @discardableResult
    public mutating func renew(_ ids: [String], now: UInt64) -> [String] {
        var unknown: [String] = []
        for id in ids {
            guard let length = lengths[id] else { unknown.append(id); continue }
            deadlines[id] = now &+ length
        }
        return unknown
    }

    public mutating func release(_ id: String) {
        deadlines[id] = nil
        lengths[id] = nil
    }

    /// Leases past their deadline, earliest first.
    public func expired(at now: UInt64) -> [String] {
        deadlines.filter { $0.value <= now }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
    }

    public func remaining(_ id: String, now: UInt64) -> UInt64? {
        deadlines[id].map { $0 > now ? $0 - now : 0 }
    }
}
