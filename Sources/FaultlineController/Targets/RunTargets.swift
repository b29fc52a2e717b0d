import FaultlineCore
import FaultlinePlan

/// Asks the system under test which of `candidates` a dynamic selection means
/// (`from: etcd, probe: etcd-leader`).
public protocol DynamicTargetResolving: Sendable {
    func resolve(_ resolver: DynamicResolver, among candidates: [Host]) async throws -> [Host]
}

/// Target names → hosts at run time.
///
/// Static selections (and `pick`/`percent` of them) are `TargetResolver`'s, so `faultline
/// plan` and `faultline run` choose the same hosts for the same seed. Only when a chain
/// of selections reaches a dynamic one does this walk the chain itself: the dynamic part
/// asks the service, and a `pick`/`percent` above it draws with the same seeded stream
/// `TargetResolver.choose` uses.
public struct RunTargets: Sendable {
    public let resolver: TargetResolver
    public let dynamic: any DynamicTargetResolving

    public struct ResolutionError: Error, CustomStringConvertible, Sendable { public var description: String }

    public init(plan: Plan, inventory: Inventory, seed: UInt64, dynamic: any DynamicTargetResolving) {
        resolver = TargetResolver(plan: plan, inventory: inventory, seed: seed)
        self.dynamic = dynamic
    }

    /// How a target is chosen when that is decided only at run time — by asking the
    /// service, or with the seed — in words ("etcd-leader among members", "pick 1 of web");
    /// nil for fixed selections (all, labels, names), whose hosts the plan already says.
    public func chosenAtRunTime(_ name: String) -> String? {
        guard let target = resolver.plan.target(named: name) else { return nil }
        switch target.selection {
        case .dynamic(let from, let how): return "\(how.rawValue) among \(from)"
        case .pick(let count, let from): return "pick \(count) of \(from)"
        case .percent(let p, let from): return "\(p) of \(from)"
        case .all, .labels, .names: return nil
        }
    }

    public func hosts(_ name: String, iteration: Int? = nil) async throws -> [Host] {
        try await hosts(name, iteration: iteration, depth: 0)
    }

    /// Every target named, resolved; for `FaultAssignment.assign`.
    public func hosts(of names: [String], iteration: Int?) async throws -> [String: [Host]] {
        var out: [String: [Host]] = [:]
        for name in names { out[name] = try await hosts(name, iteration: iteration) }
        return out
    }

    private func hosts(_ name: String, iteration: Int?, depth: Int) async throws -> [Host] {
        if case .hosts(let h) = try resolver.resolve(name, iteration: iteration) { return h }
        guard depth < 32, let target = resolver.plan.target(named: name) else {
            throw ResolutionError(description: "target '\(name)': cannot resolve at run time")
        }
        let purpose = iteration.map { "\(name)#\($0)" } ?? name
        switch target.selection {
        case .dynamic(let from, let how):
            let candidates = try await hosts(from, iteration: iteration, depth: depth + 1)
            let chosen = try await dynamic.resolve(how, among: candidates)
            guard !chosen.isEmpty else {
                throw ResolutionError(description: "target '\(name)': \(how.rawValue) found no host among \(candidates.map(\.name).joined(separator: ", "))")
            }
            return chosen
        case .pick(let count, let from):
            let base = try await hosts(from, iteration: iteration, depth: depth + 1)
            guard base.count >= count else {
                throw ResolutionError(description: "target '\(name)': cannot pick \(count) of '\(from)', which has \(base.count) host(s) now")
            }
            return resolver.choose(count, of: base, purpose: purpose)
        case .percent(let p, let from):
            let base = try await hosts(from, iteration: iteration, depth: depth + 1)
            let count = base.isEmpty ? 0 : max(1, Int((Double(base.count) * p.fraction).rounded(.up)))
            return resolver.choose(count, of: base, purpose: purpose)
        case .all, .labels, .names:
            return try resolver.resolve(name, iteration: iteration).candidates
        }
    }
}
