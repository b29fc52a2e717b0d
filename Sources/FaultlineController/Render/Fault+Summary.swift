import FaultlineCore

extension Fault {
    /// A short label for a fault window in the report and the live view:
    /// `latency 100ms ±10ms`, `loss 5% to 10.0.0.2`, `pause pid 4242`.
    var summary: String {
        switch self {
        case .latency(let f):
            let jitter = f.jitter == .zero ? "" : " ±\(f.jitter)"
            return "latency \(f.delay)\(jitter)" + Self.scope(f.filter)
        case .loss(let f): return "loss \(f.percent)" + Self.scope(f.filter)
        case .duplicate(let f): return "duplicate \(f.percent)" + Self.scope(f.filter)
        case .corrupt(let f): return "corrupt \(f.percent)" + Self.scope(f.filter)
        case .reorder: return "reorder" + Self.scope(filter ?? NetworkFilter())
        case .bandwidth(let f): return "bandwidth \(f.rate)" + Self.scope(f.filter)
        case .partition(let f): return "partition" + Self.scope(f.filter)
        case .kill(let f): return "kill \(f.process) \(f.signal)"
        case .pause(let f): return "pause \(f.process)"
        case .clock(let f):
            let sign = f.offset.nanoseconds >= 0 ? "+" : ""
            return "clock \(sign)\(f.offset)" + (f.process.map { " \($0)" } ?? "")
        }
    }

    private static func scope(_ filter: NetworkFilter) -> String {
        var parts: [String] = []
        if !filter.peers.isEmpty { parts.append("peers " + filter.peers.map(\.description).joined(separator: ",")) }
        if !filter.ports.isEmpty { parts.append("ports " + filter.ports.map(\.description).joined(separator: ",")) }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
    }
}
