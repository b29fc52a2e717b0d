import FaultlineCore

extension PlanParser {
    func readTargets(_ node: YAMLNode) -> [TargetDefinition] {
        guard case .mapping(let entries) = node.content else {
            sink.error(node.mark, "targets", "expected a mapping of target names to selections, e.g. etcd: { labels: { role: etcd } }, found \(node.found)")
            return []
        }
        var out: [TargetDefinition] = []
        for entry in entries {
            guard Self.isValidName(entry.key) else {
                sink.error(entry.keyMark, "targets.\(entry.key)", "a target name is letters, digits, '-' and '_', starting with a letter")
                continue
            }
            if let selection = readSelection(entry.value, path: "targets.\(entry.key)") {
                out.append(TargetDefinition(name: entry.key, selection: selection, mark: entry.keyMark))
            }
        }
        return out
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, name.utf8.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// A selection: exactly one of labels, names, all, pick, percent, probe (the last three with `from`).
    func readSelection(_ node: YAMLNode, path: String) -> Selection? {
        guard let f = Fields(node, path: path, object: "target", sink: sink,
                             expected: "a selection such as { labels: { role: etcd } }, { names: [n1] }, { pick: 1, from: etcd } or { from: etcd, probe: etcd-leader }") else { return nil }
        let ways = ["labels", "names", "all", "pick", "percent", "probe"].filter { f.has($0) }
        guard ways.count == 1 else {
            if ways.isEmpty {
                sink.error(node.mark, path, "expected one way of selecting hosts: labels, names, all, pick, percent or probe")
            } else {
                sink.error(f.keyMark(ways[1]), path, "choose one way of selecting hosts, found \(ways.joined(separator: " and "))")
            }
            return nil
        }
        let from = f.string("from")
        if let from { references.append((from, f.value("from")!.mark, f.pathOf("from"))) }
        func needsFrom() -> String? {
            if from == nil { f.missing("from", "the target to choose among, e.g. from: etcd") }
            return from
        }
        func noFrom() {
            if from != nil { sink.error(f.keyMark("from"), f.pathOf("from"), "'from' goes with pick, percent or probe, not with \(ways[0])") }
        }
        switch ways[0] {
        case "labels":
            noFrom()
            guard let labels = f.stringMap("labels") else { return nil }
            if labels.isEmpty { sink.error(f.value("labels")!.mark, f.pathOf("labels"), "expected at least one label") }
            return .labels(labels)
        case "names":
            noFrom()
            guard let names = f.stringList("names") else { return nil }
            if names.isEmpty { sink.error(f.value("names")!.mark, f.pathOf("names"), "expected at least one host name") }
            return .names(names)
        case "all":
            noFrom()
            guard let all = f.bool("all") else { return nil }
            if !all { sink.error(f.value("all")!.mark, f.pathOf("all"), "'all: false' selects nothing; remove the target or select by labels or names") }
            return .all
        case "pick":
            guard let n = f.int("pick", in: 1...10_000), let from = needsFrom() else { return nil }
            return .pick(count: n, from: from)
        case "percent":
            guard let p = f.percent("percent"), let from = needsFrom() else { return nil }
            if p.points == 0 { sink.error(f.value("percent")!.mark, f.pathOf("percent"), "expected a percentage above 0%") }
            return .percent(p, from: from)
        default:
            guard let resolver = f.choice("probe", DynamicResolver.self), let from = needsFrom() else { return nil }
            return .dynamic(from: from, resolver: resolver)
        }
    }

    /// A step's `target`: a target's name, or an inline selection that gets the step's path as its name.
    func readTargetRef(_ f: Fields, key: String = "target", required: Bool) -> String? {
        guard let node = f.value(key) else {
            if required { f.missing(key, "the target whose hosts get this fault, e.g. target: etcd") }
            return nil
        }
        if case .mapping = node.content {
            let name = f.pathOf(key)
            guard let selection = readSelection(node, path: name) else { return nil }
            inlineTargets.append(TargetDefinition(name: name, selection: selection, mark: node.mark))
            return name
        }
        guard let name = Values.string(node, path: f.pathOf(key), sink: sink) else { return nil }
        references.append((name, node.mark, f.pathOf(key)))
        return name
    }

    // MARK: second pass

    func checkReferences(_ plan: Plan) {
        let defined = Set(plan.targets.map(\.name))
        let named = plan.targets.filter { !$0.name.contains(".") }.map(\.name)
        for ref in references where !defined.contains(ref.name) {
            let message = named.isEmpty
                ? "there is no target '\(ref.name)': the plan defines no targets (add them under 'targets:')"
                : "there is no target '\(ref.name)'; defined targets: \(named.joined(separator: ", "))"
            sink.error(ref.mark, ref.path, message, suggestion: Suggestion.closest(to: ref.name, in: named))
        }
        // `from` chains must end; a cycle would never resolve.
        let byName = Dictionary(plan.targets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for target in plan.targets {
            var seen: Set<String> = [target.name]
            var current = target.selection.base
            while let next = current, let definition = byName[next] {
                if seen.contains(next) {
                    sink.error(target.mark, "targets.\(target.name)", "selections form a cycle through '\(next)'; each 'from' must lead to a target selected by labels, names or all")
                    break
                }
                seen.insert(next)
                current = definition.selection.base
            }
        }
    }

    /// With an inline inventory, static selections can be checked now.
    func checkStaticTargets(_ plan: Plan, inventory: Inventory) {
        let resolver = TargetResolver(plan: plan, inventory: inventory, seed: 0)
        for target in plan.targets {
            switch target.selection {
            case .names(let names):
                for name in names where inventory.host(named: name) == nil {
                    sink.error(target.mark, target.name.contains(".") ? target.name : "targets.\(target.name)",
                               "no host '\(name)' in the inventory", suggestion: Suggestion.closest(to: name, in: inventory.hosts.map(\.name)))
                }
            case .labels(let labels):
                if case .hosts(let hosts)? = try? resolver.resolve(target.name), hosts.isEmpty {
                    sink.error(target.mark, target.name.contains(".") ? target.name : "targets.\(target.name)",
                               "no host in the inventory has the labels \(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
                }
            case .pick(let n, let from):
                if case .hosts(let hosts)? = try? resolver.resolve(from), hosts.count < n {
                    sink.error(target.mark, target.name.contains(".") ? target.name : "targets.\(target.name)",
                               "cannot pick \(n) of '\(from)': it has \(hosts.count) host(s)")
                }
            default: break
            }
        }
    }
}
