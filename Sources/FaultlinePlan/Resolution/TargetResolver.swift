import FaultlineCore

/// Turns target names into hosts of an inventory.
///
/// Static selections (labels, names, all) resolve now; `pick` and `percent` resolve with
/// the run's seed, each target drawing from its own seeded stream so adding a target
/// never changes another's choice; dynamic selections are only known at run time.
public struct TargetResolver: Sendable {
    public let plan: Plan
    public let inventory: Inventory
    public let seed: UInt64

    public init(plan: Plan, inventory: Inventory, seed: UInt64) {
        self.plan = plan; self.inventory = inventory; self.seed = seed
    }

    public enum Resolution: Sendable, Hashable {
        case hosts([Host])
        /// Chosen at run time among `candidates` by `resolver` (or by a pick among them).
        case atRunTime(candidates: [Host], how: String)

        public var candidates: [Host] {
            switch self {
            case .hosts(let h): h
            case .atRunTime(let c, _): c
            }
        }
    }

    public struct ResolutionError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Resolves a target. Inside a `repeat`, pass the iteration: each iteration draws its
    /// `pick`/`percent` choice afresh (Chaos Monkey), still reproducibly from the seed.
    public func resolve(_ name: String, iteration: Int? = nil) throws -> Resolution {
        try resolve(name, depth: 0, iteration: iteration)
    }

    private func resolve(_ name: String, depth: Int, iteration: Int?) throws -> Resolution {
        guard depth < 32 else { throw ResolutionError(description: "target '\(name)': selections nest too deep (a cycle?)") }
        guard let target = plan.target(named: name) else { throw ResolutionError(description: "no target '\(name)'") }
        switch target.selection {
        case .all:
            return .hosts(inventory.hosts)
        case .labels(let labels):
            return .hosts(inventory.hosts.filter { host in labels.allSatisfy { host.labels[$0.key] == $0.value } })
        case .names(let names):
            return .hosts(try names.map { n in
                guard let h = inventory.host(named: n) else { throw ResolutionError(description: "target '\(name)': no host '\(n)' in the inventory") }
                return h
            })
        case .pick(let count, let from):
            let base = try resolve(from, depth: depth + 1, iteration: iteration)
            if case .atRunTime(let c, let how) = base { return .atRunTime(candidates: c, how: "\(count) of (\(how))") }
            let hosts = base.candidates
            guard hosts.count >= count else {
                throw ResolutionError(description: "target '\(name)': cannot pick \(count) of '\(from)', which has \(hosts.count) host(s)")
            }
            return .hosts(choose(count, of: hosts, purpose: iteration.map { "\(name)#\($0)" } ?? name))
        case .percent(let p, let from):
            let base = try resolve(from, depth: depth + 1, iteration: iteration)
            if case .atRunTime(let c, let how) = base { return .atRunTime(candidates: c, how: "\(p) of (\(how))") }
            let hosts = base.candidates
            let count = hosts.isEmpty ? 0 : max(1, Int((Double(hosts.count) * p.fraction).rounded(.up)))
            return .hosts(choose(count, of: hosts, purpose: iteration.map { "\(name)#\($0)" } ?? name))
        case .dynamic(let from, let resolver):
            let base = try resolve(from, depth: depth + 1, iteration: iteration)
            return .atRunTime(candidates: base.candidates, how: "\(resolver.rawValue) among \(from)")
        }
    }

    /// `count` hosts chosen with the seed, kept in inventory order.
    public func choose(_ count: Int, of hosts: [Host], purpose: String) -> [Host] {
        var rng = SeededGenerator(seed: seed, purpose: "target:" + purpose)
        let chosen = Set(hosts.indices.shuffled(using: &rng).prefix(count))
        return hosts.indices.filter { chosen.contains($0) }.map { hosts[$0] }
    }
}
