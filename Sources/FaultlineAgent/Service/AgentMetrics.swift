import FaultlineCore
import Foundation

/// Counters and latency histograms in Prometheus' text exposition format.
///
/// Written by hand (a few dozen lines) rather than through a metrics library: the agent
/// exports a handful of series and must stay small; the format is stable and simple.
public final class AgentMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var appliedCount: [FaultKind: Int] = [:]
    private var revertedCount: [FaultKind: Int] = [:]
    private var failedCount: [FaultKind: Int] = [:]
    private var leaseExpiries = 0
    private var applyLatency = Histogram()
    private var revertLatency = Histogram()

    struct Histogram {
        static let bounds: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1]
        var buckets = Array(repeating: 0, count: bounds.count)
        var count = 0
        var sum = 0.0
        mutating func observe(_ v: Double) {
            count += 1; sum += v
            for (i, b) in Self.bounds.enumerated() where v <= b { buckets[i] += 1 }
        }
    }

    func applied(_ kind: FaultKind, seconds: Double) { lock.withLock { appliedCount[kind, default: 0] += 1; applyLatency.observe(seconds) } }
    func reverted(_ kind: FaultKind, seconds: Double) { lock.withLock { revertedCount[kind, default: 0] += 1; revertLatency.observe(seconds) } }
    func failed(_ kind: FaultKind) { lock.withLock { failedCount[kind, default: 0] += 1 } }
    func leaseExpired() { lock.withLock { leaseExpiries += 1 } }

    public func exposition(appliedNow: Int) -> String {
        lock.withLock {
            // The info-metric idiom: a constant 1 whose label carries the version, so a
            // dashboard can join it onto the other series or count agents per version.
            var out = "# HELP faultline_build_info The agent's Faultline version.\n# TYPE faultline_build_info gauge\n"
            out += "faultline_build_info{version=\"\(FaultlineVersion.current)\"} 1\n"
            func counter(_ name: String, _ help: String, _ values: [FaultKind: Int]) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
                for kind in FaultKind.allCases { out += "\(name){kind=\"\(kind.rawValue)\"} \(values[kind] ?? 0)\n" }
            }
            counter("faultline_agent_faults_applied_total", "Faults applied.", appliedCount)
            counter("faultline_agent_faults_reverted_total", "Faults reverted.", revertedCount)
            counter("faultline_agent_faults_failed_total", "Faults whose apply failed (and was rolled back).", failedCount)
            out += "# HELP faultline_agent_lease_expiries_total Faults reverted because their lease ran out.\n# TYPE faultline_agent_lease_expiries_total counter\n"
            out += "faultline_agent_lease_expiries_total \(leaseExpiries)\n"
            out += "# HELP faultline_agent_faults_applied Faults applied right now.\n# TYPE faultline_agent_faults_applied gauge\n"
            out += "faultline_agent_faults_applied \(appliedNow)\n"
            func histogram(_ name: String, _ help: String, _ h: Histogram) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
                for (i, b) in Histogram.bounds.enumerated() { out += "\(name)_bucket{le=\"\(b)\"} \(h.buckets[i])\n" }
                out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(h.sum)\n\(name)_count \(h.count)\n"
            }
            histogram("faultline_agent_apply_seconds", "Time to apply a fault in the kernel.", applyLatency)
            histogram("faultline_agent_revert_seconds", "Time to revert a fault in the kernel.", revertLatency)
            return out
        }
    }
}
