import FaultlineCore

/// A named selection of hosts, defined under `targets:` (or inline in a step).
public struct TargetDefinition: Sendable, Hashable {
    /// The name under `targets:`, or the field path of an inline selection (`method[0].kill.target`).
    public var name: String
    /// Written inline in a step rather than under `targets:`.
    public var isInline: Bool { name.contains(".") }
    public var selection: Selection
    public var mark: Mark
    public init(name: String, selection: Selection, mark: Mark) { self.name = name; self.selection = selection; self.mark = mark }
}

/// How a target picks its hosts.
public indirect enum Selection: Sendable, Hashable {
    /// Every host of the inventory.
    case all
    /// Hosts whose labels include all of these.
    case labels([String: String])
    /// Hosts by name.
    case names([String])
    /// `count` hosts of another target, chosen with the run's seed.
    case pick(count: Int, from: String)
    /// A share of another target's hosts (rounded up, at least one), chosen with the seed.
    case percent(Percent, from: String)
    /// Resolved at run time among another target's hosts, by asking the system under test.
    case dynamic(from: String, resolver: DynamicResolver)

    /// The target this selection draws from, if any.
    public var base: String? {
        switch self {
        case .pick(_, let from), .percent(_, let from), .dynamic(let from, _): from
        case .all, .labels, .names: nil
        }
    }
}

/// Built-in run-time resolvers: each asks the service on the candidate hosts.
public enum DynamicResolver: String, Sendable, Hashable, CaseIterable {
    /// The member etcd reports as leader (`/v3/maintenance/status` on port 2379).
    case etcdLeader = "etcd-leader"
    /// Every member but the leader.
    case etcdFollowers = "etcd-followers"
    /// The Redis instance whose `INFO replication` says `role:master` (port 6379).
    case redisPrimary = "redis-primary"
    /// Every Redis instance that says `role:slave`.
    case redisReplicas = "redis-replicas"
}

extension Selection: CustomStringConvertible {
    public var description: String {
        switch self {
        case .all: "all hosts"
        case .labels(let l): "labels " + l.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case .names(let n): n.joined(separator: ",")
        case .pick(let n, let from): "\(n) of \(from)"
        case .percent(let p, let from): "\(p) of \(from)"
        case .dynamic(let from, let r): "\(r.rawValue) among \(from)"
        }
    }
}
