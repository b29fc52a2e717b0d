/// How often leases are renewed, and what is renewed where. Pure.
public enum LeaseSchedule {
    /// A third of the lease: two renewals can be lost (a slow agent, a dropped packet)
    /// before the lease runs out. Never more often than every 100 ms.
    public static func interval(leaseSeconds: Double) -> Double { max(0.1, leaseSeconds / 3) }

    /// Fault ids per host, one renewal call per agent (`renew(ids:)` takes a batch).
    public static func batches(_ faults: [(host: String, id: String)]) -> [(host: String, ids: [String])] {
        var order: [String] = []
        var ids: [String: [String]] = [:]
        for f in faults {
            if ids[f.host] == nil { order.append(f.host) }
            ids[f.host, default: []].append(f.id)
        }
        return order.map { ($0, ids[$0]!) }
    }
}
