extension PlanPrinter {
    /// A target that cannot be resolved against the inventory, and why.
    public struct UnresolvedTarget: Sendable, Hashable, CustomStringConvertible {
        public var target: String
        public var reason: String
        public var description: String { "target '\(target)': \(reason)" }
    }

    /// Targets that resolve to no host (or to no candidate, for run-time targets) or not at
    /// all: a run against this inventory could not start.
    public func unresolvedTargets() -> [UnresolvedTarget] {
        var out: [UnresolvedTarget] = []
        for target in plan.targets {
            do {
                let resolution = try resolver.resolve(target.name)
                guard resolution.candidates.isEmpty else { continue }
                let reason: String = switch target.selection {
                case .labels(let labels):
                    "no host in the inventory has the labels \(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))"
                case .all: "the inventory has no hosts"
                default: target.selection.base.map { "it draws from '\($0)', which selects no host" } ?? "it selects no host"
                }
                out.append(UnresolvedTarget(target: target.name, reason: reason))
            } catch {
                let text = "\(error)"
                let prefix = "target '\(target.name)': "
                out.append(UnresolvedTarget(target: target.name, reason: text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text))
            }
        }
        return out
    }
}
