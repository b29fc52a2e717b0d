import FaultlineCore

/// Who cannot hear whom: for each host, the hosts whose packets it drops.
///
/// Partition topologies are computed into a grudge (Jepsen's word) over host names, and
/// each host then gets an inbound drop rule for the addresses of the hosts in its entry.
/// Pure: hosts come in through the `hosts` function (target name → host names, in
/// inventory order).
public struct Grudge: Sendable, Hashable {
    public var cannotHear: [String: Set<String>]

    public init(_ cannotHear: [String: Set<String>] = [:]) { self.cannotHear = cannotHear }

    public struct TopologyError: Error, CustomStringConvertible, Sendable { public var description: String }

    public static func compute(_ topology: PartitionTopology, universe: [String], seed: UInt64,
                               hosts: (String) throws -> [String]) throws -> Grudge {
        var g = Grudge()
        switch topology {
        case .isolate(let target, let from):
            let a = try hosts(target)
            let aSet = Set(a)
            let b = try (from.map(hosts) ?? universe).filter { !aSet.contains($0) }
            g.cut(a, b)
        case .halves(let target):
            let h = try hosts(target)
            try g.split(h, "halves of '\(target)'")
        case .randomHalves(let target):
            var rng = SeededGenerator(seed: seed, purpose: "random-halves:" + target)
            let h = try hosts(target).shuffled(using: &rng)
            try g.split(h, "random halves of '\(target)'")
        case .bridge(let target):
            let h = try hosts(target)
            guard h.count >= 3 else { throw TopologyError(description: "a bridge needs at least 3 hosts; '\(target)' has \(h.count)") }
            let mid = h.count / 2
            g.cut(Array(h[..<mid]), Array(h[(mid + 1)...]))
        case .majoritiesRing(let target):
            let h = try hosts(target)
            guard h.count >= 4 else {
                throw TopologyError(description: "majorities-ring needs at least 4 hosts (with 3, every majority window is the whole ring); '\(target)' has \(h.count)")
            }
            let n = h.count
            let majority = n / 2 + 1
            let reach = majority / 2 // hosts seen on each side; 2*reach+1 >= majority
            for (i, host) in h.enumerated() {
                let seen = Set((-reach...reach).map { h[((i + $0) % n + n) % n] })
                g.cannotHear[host, default: []].formUnion(Set(h).subtracting(seen))
            }
        case .oneWay(let from, let to):
            let senders = try hosts(from)
            for receiver in try hosts(to) {
                g.cannotHear[receiver, default: []].formUnion(senders.filter { $0 != receiver })
            }
        case .grudge(let map):
            for (key, values) in map {
                let silenced = try values.flatMap(hosts)
                for host in try hosts(key) {
                    g.cannotHear[host, default: []].formUnion(silenced.filter { $0 != host })
                }
            }
        case .inbound:
            break
        }
        g.cannotHear = g.cannotHear.filter { !$0.value.isEmpty }
        return g
    }

    /// Mutual cut between two groups.
    mutating func cut(_ a: [String], _ b: [String]) {
        for x in a { cannotHear[x, default: []].formUnion(b.filter { $0 != x }) }
        for y in b { cannotHear[y, default: []].formUnion(a.filter { $0 != y }) }
    }

    /// First half (the smaller, as Jepsen's bisect) against the second.
    mutating func split(_ hosts: [String], _ what: String) throws {
        guard hosts.count >= 2 else { throw TopologyError(description: "\(what) needs at least 2 hosts; found \(hosts.count)") }
        let mid = hosts.count / 2
        cut(Array(hosts[..<mid]), Array(hosts[mid...]))
    }

    /// Groups of hosts that can still all hear each other are easier to read than a list
    /// of pairs; this gives the pairs for the plan printout: "a ✕ b" (both ways) or "a → b" (a's packets to b dropped).
    public func describe(order: [String]) -> [String] {
        var lines: [String] = []
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let sortedHosts = cannotHear.keys.sorted { (position[$0] ?? .max, $0) < (position[$1] ?? .max, $1) }
        var done: Set<[String]> = []
        for receiver in sortedHosts {
            for sender in cannotHear[receiver]!.sorted(by: { (position[$0] ?? .max, $0) < (position[$1] ?? .max, $1) }) {
                let mutual = cannotHear[sender]?.contains(receiver) ?? false
                let pair = [receiver, sender].sorted()
                if mutual {
                    if done.insert(pair).inserted { lines.append("\(pair[0]) ✕ \(pair[1])") }
                } else {
                    lines.append("\(sender) → \(receiver) dropped")
                }
            }
        }
        return lines
    }
}
