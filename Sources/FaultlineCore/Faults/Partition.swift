/// Cut hosts off from each other.
///
/// In a plan the `topology` says who cannot reach whom in terms of targets; the controller
/// turns it into a *grudge* (for each host, the hosts it no longer hears) and sends each
/// host a partition whose topology is `.inbound`: drop packets arriving from these peers.
/// Dropping inbound on each side behaves like a real partition (KERNEL.md: output-hook
/// drops return EPERM to the sender, which no network does).
public struct Partition: Hashable, Sendable, Codable {
    public var topology: PartitionTopology
    public var filter: NetworkFilter = NetworkFilter()

    public init(topology: PartitionTopology, filter: NetworkFilter = NetworkFilter()) {
        self.topology = topology; self.filter = filter
    }

    public func problems() -> [FieldProblem] {
        var out = topology.problems()
        if filter.direction != .inbound {
            out.append(FieldProblem("direction", "partitions always drop inbound on each side; use a one-way topology for asymmetric cuts"))
        }
        return out + filter.problems()
    }
}

/// Who cannot reach whom. Names are targets of the plan.
public enum PartitionTopology: Hashable, Sendable, Codable {
    /// Cut `target` off from `from` (default: every other host of the plan's targets).
    case isolate(target: String, from: String?)
    /// Split the target's hosts (in inventory order) into two halves; the first half is the smaller.
    case halves(String)
    /// Like `halves`, after a shuffle with the plan's seed (recorded in the journal).
    case randomHalves(String)
    /// Two halves that cannot talk, and one host in the middle that talks to both (Jepsen's bridge).
    case bridge(String)
    /// Each host sees a majority, and no two hosts see the same majority (Jepsen's majorities-ring).
    case majoritiesRing(String)
    /// Packets from `from` to `to` are dropped; `to` can still send to `from`.
    case oneWay(from: String, to: String)
    /// Explicit: each key cannot hear from the hosts of its values.
    case grudge([String: [String]])
    /// The wire form sent to one host: drop packets from `filter.peers` (all peers if empty).
    case inbound

    public func problems() -> [FieldProblem] {
        switch self {
        case .grudge(let map) where map.isEmpty:
            [FieldProblem("grudge", "expected at least one entry 'host-or-target: [targets it cannot hear]'")]
        default: []
        }
    }

    /// The targets the topology names.
    public var targetNames: [String] {
        switch self {
        case .isolate(let t, let from): [t] + (from.map { [$0] } ?? [])
        case .halves(let t), .randomHalves(let t), .bridge(let t), .majoritiesRing(let t): [t]
        case .oneWay(let a, let b): [a, b]
        case .grudge(let map): map.keys.sorted() + map.keys.sorted().flatMap { map[$0]! }
        case .inbound: []
        }
    }
}
