import FaultlineCore

/// The text of `faultline plan`: a dry run that touches nothing and says what would
/// happen, when, and on which hosts. Pure: the caller supplies the inventory and seed.
public struct PlanPrinter {
    public let plan: Plan
    public let inventory: Inventory
    /// Says where the inventory came from ("lab (default layout …)").
    public let inventoryNote: String
    public let seed: UInt64
    public let seedNote: String

    public init(plan: Plan, inventory: Inventory, inventoryNote: String, seed: UInt64, seedNote: String) {
        self.plan = plan; self.inventory = inventory; self.inventoryNote = inventoryNote
        self.seed = seed; self.seedNote = seedNote
    }

    var resolver: TargetResolver { TargetResolver(plan: plan, inventory: inventory, seed: seed) }

    public func render() -> String {
        var out: [String] = []
        let timeline = Timeline(method: plan.method)
        out.append("Plan       \(plan.title)")
        out.append("File       \(plan.file)")
        out.append("Inventory  \(inventoryNote): \(inventory.hosts.map(\.name).joined(separator: " "))")
        out.append("Seed       \(seed) (\(seedNote))")
        out.append("Lease      \(plan.settings.lease) per fault, renewed by the controller")
        if !plan.variables.isEmpty {
            out.append("Variables  " + plan.variables.map { "\($0.name)=\($0.value) (\($0.source))" }.joined(separator: ", "))
        }
        out.append("")
        out.append("Targets")
        let named = plan.targets.filter { !$0.isInline }
        let width = max(8, named.map(\.name.count).max() ?? 0)
        for target in named {
            out.append("  \(target.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(hostsText(target.name))")
        }
        let before = plan.steadyState.filter { $0.when.contains(.before) || $0.when.contains(.continuous) }
        if !before.isEmpty {
            out.append("")
            out.append("Before the method: steady-state hypothesis")
            for p in before { out.append("  ✓ \(p.name): \(describe(p.probe))") }
        }
        out.append("")
        out.append("Method (\(timeline.total) in all; t = 0 when the method starts)")
        var perHost: [String: [String]] = [:]
        for entry in timeline.entries {
            let time = entry.end.map { "\(entry.start) → \($0)" } ?? "at \(entry.start)"
            let indent = String(repeating: "  ", count: entry.depth + 1)
            let iteration = entry.iteration.map { " [iteration \($0 + 1)]" } ?? ""
            out.append("\(indent)\(time.padding(toLength: 18, withPad: " ", startingAt: 0)) \(describe(entry.step))\(iteration)")
            if case .fault(let f) = entry.step.kind {
                let (lines, hosts) = effect(of: f, iteration: entry.iteration)
                for line in lines { out.append("\(indent)\(String(repeating: " ", count: 19))\(line)") }
                let window = entry.end.map { "\(entry.start)–\($0)" } ?? "at \(entry.start)"
                for (host, certain) in hosts {
                    perHost[host, default: []].append("\(window) \(f.fault.kind.rawValue)\(certain ? "" : " (if chosen)")")
                }
            }
        }
        let during = plan.steadyState.filter { $0.when.contains(.during) || $0.when.contains(.continuous) }
        let consistency = plan.steadyState.filter { if case .consistency = $0.probe { true } else { false } }
        if !plan.guards.isEmpty || !during.isEmpty || !consistency.isEmpty {
            out.append("")
            out.append("While the method runs")
            for g in plan.guards {
                out.append("  guard \"\(g.name)\" every \(g.every)\(g.grace > .zero ? ", grace \(g.grace)" : ""): aborts the run if \(describe(g.probe)) fails")
            }
            for p in during { out.append("  sample \"\(p.name)\" every \(p.every): \(describe(p.probe))") }
            for p in consistency { out.append("  record \"\(p.name)\": \(describe(p.probe))") }
        }
        out.append("")
        out.append("After the method")
        out.append("  revert every fault still applied (and agents revert by themselves \(plan.settings.lease) after losing the controller)")
        for step in plan.rollbacks { out.append("  rollback: \(describe(step))") }
        for p in plan.steadyState where p.when.contains(.after) || p.when.contains(.continuous) {
            out.append("  ✓ \(p.name): \(describe(p.probe))")
        }
        for p in consistency { out.append("  ✓ \(p.name): judge the recorded history") }
        out.append("")
        out.append("Per host")
        for host in inventory.hosts {
            let windows = perHost[host.name] ?? []
            out.append("  \(host.name.padding(toLength: max(8, width), withPad: " ", startingAt: 0))  \(windows.isEmpty ? "untouched" : windows.joined(separator: " · "))")
        }
        return out.joined(separator: "\n") + "\n"
    }

    func hostsText(_ target: String) -> String {
        do {
            switch try resolver.resolve(target) {
            case .hosts(let hosts): return hosts.isEmpty ? "(no hosts)" : hosts.map(\.name).joined(separator: " ")
            case .atRunTime(let candidates, let how):
                return "at run time: \(how) (among \(candidates.map(\.name).joined(separator: " ")))"
            }
        } catch {
            return "(cannot resolve: \(error))"
        }
    }

    /// What a fault does to which hosts: lines to print, and (host, certainly affected) pairs.
    func effect(of step: FaultStep, iteration: Int?) -> ([String], [(String, Bool)]) {
        if case .partition(let p) = step.fault {
            let names = inventory.hosts.map(\.name)
            var dynamic = false
            let grudge: Grudge?
            let grudgeError: Error?
            do {
                grudge = try Grudge.compute(p.topology, universe: names, seed: seed) { name in
                    let r = try resolver.resolve(name)
                    if case .atRunTime = r { dynamic = true }
                    return r.candidates.map(\.name)
                }
                grudgeError = nil
            } catch {
                grudge = nil
                grudgeError = error
            }
            if dynamic {
                let candidates = Set(p.topology.targetNames.flatMap { (try? resolver.resolve($0).candidates.map(\.name)) ?? [] })
                return (["who cannot reach whom is decided at run time (\(p.topology.targetNames.joined(separator: ", ")) resolve then)"],
                        names.filter(candidates.contains).map { ($0, false) })
            }
            guard let grudge else { return (["cannot compute: \(String(describing: grudgeError))"], []) }
            let lines = grudge.describe(order: names)
            let hosts = Set(grudge.cannotHear.keys).union(grudge.cannotHear.values.flatMap { $0 })
            return (lines.isEmpty ? ["(no host is cut off)"] : lines, names.filter(hosts.contains).map { ($0, true) })
        }
        guard let target = step.target, let r = try? resolver.resolve(target, iteration: iteration) else { return ([], []) }
        switch r {
        case .hosts(let hosts): return (["on \(hosts.map(\.name).joined(separator: " "))"], hosts.map { ($0.name, true) })
        case .atRunTime(let c, let how): return (["on \(how), chosen at run time"], c.map { ($0.name, false) })
        }
    }

    func describe(_ step: Step) -> String {
        let prefix = step.name.map { "\"\($0)\": " } ?? ""
        switch step.kind {
        case .fault(let f):
            let target = f.target.map { name in plan.target(named: name).map { $0.isInline ? $0.selection.description : name } ?? name }
            return prefix + FaultText.describe(f.fault, target: target)
        case .wait(let span): return prefix + "wait \(span)"
        case .action(.command(let argv, _)): return prefix + "run \(argv.joined(separator: " "))"
        case .action(.http(let url, let method, _, _)): return prefix + "\(method) \(url)"
        case .sequence: return prefix + "sequence"
        case .parallel: return prefix + "parallel"
        case .repeatSteps(let times, let every, _): return prefix + "repeat \(times)×" + (every.map { " every \($0)" } ?? "")
        }
    }

    func describe(_ probe: Probe) -> String {
        let needed: String = switch probe.require {
        case .all: ""
        case .any: "; any one must pass"
        case .majority: "; a majority must pass"
        case .atLeast(let n): "; at least \(n) must pass"
        }
        func each(_ e: String?) -> String { e.map { " on each of \($0) (\(hostsText($0))\(needed))" } ?? "" }
        switch probe {
        case .http(let p): return "http \(p.method) \(p.url)\(each(p.each)) expecting status \(p.expect.status.map(String.init).joined(separator: "/"))"
        case .tcp(let p): return "tcp connect \(p.address)\(each(p.each))"
        case .command(let p): return "command \(p.argv.joined(separator: " ")) expecting exit \(p.exitCode)"
        case .prometheus(let p): return "prometheus \(p.query) \(p.tolerance)"
        case .consistency(let p):
            return "\(p.workload.rawValue) workload, \(p.clients) clients × \(p.keys) keys on \(p.target) during the \(p.during.rawValue); checks \(p.checks.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

/// One-line descriptions of faults, for printouts and reports.
public enum FaultText {
    public static func describe(_ fault: Fault, target: String?) -> String {
        let on = target.map { " on \($0)" } ?? ""
        switch fault {
        case .latency(let l):
            return "latency \(l.delay)\(l.jitter > .zero ? " ±\(l.jitter)" : "") \(l.filter.direction.rawValue)\(on)\(filter(l.filter))"
        case .loss(let l): return "loss \(l.percent) \(l.filter.direction.rawValue)\(on)\(filter(l.filter))"
        case .duplicate(let d): return "duplicate \(d.percent)\(on)\(filter(d.filter))"
        case .corrupt(let c): return "corrupt \(c.percent)\(on)\(filter(c.filter))"
        case .reorder(let r): return "reorder \(r.percent) (others delayed \(r.delay))\(on)\(filter(r.filter))"
        case .bandwidth(let b): return "bandwidth \(b.rate) \(b.filter.direction.rawValue)\(on)\(filter(b.filter))"
        case .partition(let p):
            switch p.topology {
            case .isolate(let t, let from): return "partition: isolate \(t) from \(from ?? "every other host")\(filter(p.filter))"
            case .halves(let t): return "partition: halves of \(t)\(filter(p.filter))"
            case .randomHalves(let t): return "partition: random halves of \(t)\(filter(p.filter))"
            case .bridge(let t): return "partition: bridge across \(t)\(filter(p.filter))"
            case .majoritiesRing(let t): return "partition: majorities ring over \(t)\(filter(p.filter))"
            case .oneWay(let a, let b): return "partition: one way, \(a) → \(b) dropped\(filter(p.filter))"
            case .grudge: return "partition: grudge\(filter(p.filter))"
            case .inbound: return "partition: drop inbound\(filter(p.filter))"
            }
        case .kill(let k): return "kill \(k.signal) \(k.process)\(on)"
        case .pause(let p): return "pause \(p.process)\(on) (\(p.mechanism.rawValue))"
        case .clock(let c):
            let strobe = c.strobe.map { ", strobing with \($0.offset) every \($0.every)" } ?? ""
            return "clock \(c.offset.nanoseconds >= 0 ? "+" : "")\(c.offset) (\(c.scope.rawValue)\(c.process.map { ": \($0)" } ?? ""))\(on)\(strobe)"
        }
    }

    static func filter(_ f: NetworkFilter) -> String {
        var parts: [String] = []
        if !f.peers.isEmpty { parts.append("peers \(f.peers.map(\.description).joined(separator: ","))") }
        if !f.ports.isEmpty { parts.append("ports \(f.ports.map(\.description).joined(separator: ","))") }
        if f.networkProtocol != .all { parts.append(f.networkProtocol.rawValue) }
        return parts.isEmpty ? "" : " (\(parts.joined(separator: "; ")))"
    }
}
