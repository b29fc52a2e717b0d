import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan

extension RunEngine {
    /// Every fault step of the method and rollbacks with its path, depth first.
    static func faultSteps(_ steps: [Step]) -> [(Step, FaultStep)] {
        steps.flatMap { step -> [(Step, FaultStep)] in
            switch step.kind {
            case .fault(let f): [(step, f)]
            case .sequence(let s), .parallel(let s), .repeatSteps(_, _, let s): faultSteps(s)
            case .wait, .action: []
            }
        }
    }

    /// Resolves targets (statically; dynamic ones by their candidates) and asks every
    /// agent that may receive a fault what it can do. Answers every problem found, or nil
    /// when the plan can be carried out. Touches nothing.
    func preflight() async -> String? {
        var problems: [String] = []
        for t in plan.targets where !t.isInline {
            do {
                let r = try targets.resolver.resolve(t.name)
                if r.candidates.isEmpty { problems.append("target '\(t.name)' (\(t.selection)) matches no host of the inventory") }
            } catch {
                problems.append("\(error)")
            }
        }
        // (host, step path, kind) for every host that may get a fault.
        var needs: [String: [(String, FaultKind)]] = [:]
        for (step, f) in Self.faultSteps(plan.method + plan.rollbacks) {
            // The hosts that receive the fault: a partition's receivers are among the hosts
            // its topology names (every host when `isolate` has no `from`); peers only
            // name addresses and need nothing from their own agents.
            var names: [String] = f.target.map { [$0] } ?? []
            if case .partition(let p) = f.fault {
                names = p.topology.targetNames
                if case .isolate(_, nil) = p.topology {
                    for h in inventory.hosts { needs[h.name, default: []].append((step.path, f.fault.kind)) }
                }
            }
            for name in names {
                do {
                    for h in try targets.resolver.resolve(name).candidates { needs[h.name, default: []].append((step.path, f.fault.kind)) }
                } catch {
                    problems.append("\(step.path): \(error)")
                }
            }
        }
        let hosts = inventory.hosts.filter { needs[$0.name] != nil }
        let clients = self.clients
        let answers = await withTaskGroup(of: CapabilityAnswer.self, returning: [CapabilityAnswer].self) { group in
            for h in hosts {
                let client = clients[h.name]
                group.addTask {
                    guard let client else { return CapabilityAnswer(host: h.name, result: .failure(MethodFailure(description: "no agent client"))) }
                    do { return CapabilityAnswer(host: h.name, result: .success(try await client.capabilities())) } catch {
                        return CapabilityAnswer(host: h.name, result: .failure(error))
                    }
                }
            }
            var out: [CapabilityAnswer] = []
            for await answer in group { out.append(answer) }
            return out
        }
        for h in hosts {
            let answer = answers.first { $0.host == h.name }?.result
                ?? .failure(MethodFailure(description: "the capability request got no answer"))
            switch answer {
            case .failure(let error):
                problems.append("host \(h.name): cannot ask its agent (\(h.agent)) what it can do: \(error)")
            case .success(let report):
                var said: Set<String> = []
                for (path, kind) in needs[h.name] ?? [] {
                    if let reason = report.reason(kind: kind), said.insert("\(path)\(kind)").inserted {
                        problems.append("host \(h.name) cannot carry out \(path) (\(kind.rawValue)): \(reason)")
                    }
                }
                await book.event(.note, "agent on \(h.name) ready: " + report.faults.filter(\.available).map(\.kind.rawValue).joined(separator: " "), host: h.name)
            }
        }
        return problems.isEmpty ? nil : "the plan cannot be carried out: " + problems.joined(separator: "; ")
    }
}

/// One agent's answer to the preflight capability question.
struct CapabilityAnswer: Sendable {
    var host: String
    var result: Result<CapabilityReport, Error>
}
