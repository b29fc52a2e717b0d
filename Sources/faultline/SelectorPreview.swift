import FaultlineAgentAPI
import FaultlineController
import FaultlineCore
import FaultlinePlan
import Foundation

/// `faultline plan --ask-agents`: for every process fault of the plan, what its selector
/// would reach on each host of its target, as that host's agent answers right now.
///
/// Run-time targets (the etcd leader) are asked on every candidate, since which one the
/// run picks is not known until then.
struct SelectorPreview {
    let plan: Plan
    let inventory: Inventory
    let seed: UInt64
    let credentials: AgentDirectory.Credentials

    struct Query { var step: String; var target: String; var selector: ProcessSelector }

    static func selector(of fault: Fault) -> ProcessSelector? {
        switch fault {
        case .kill(let k): k.process
        case .pause(let p): p.process
        case .clock(let c): c.scope == .process ? c.process : nil
        default: nil
        }
    }

    func queries(_ steps: [Step]) -> [Query] {
        steps.flatMap { step -> [Query] in
            switch step.kind {
            case .fault(let f):
                guard let selector = Self.selector(of: f.fault), let target = f.target else { return [] }
                return [Query(step: step.name ?? step.path, target: target, selector: selector)]
            case .sequence(let inner), .parallel(let inner), .repeatSteps(_, _, let inner): return queries(inner)
            case .wait, .action: return []
            }
        }
    }

    func print() throws {
        let queries = self.queries(plan.method + plan.rollbacks)
        Swift.print("\nProcess selectors, as the agents answer now:")
        guard !queries.isEmpty else { Swift.print("  (the plan has no process faults)"); return }
        let clients: [String: any AgentClient]
        do { clients = try AgentDirectory.clients(for: inventory.hosts, credentials: credentials, timeout: plan.settings.agentTimeout) } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw FaultlineExit.couldNotRun
        }
        let resolver = TargetResolver(plan: plan, inventory: inventory, seed: seed)
        var unreachable = false
        for query in queries {
            Swift.print("  \(query.step): \(query.selector) on \(query.target)")
            let hosts = (try? resolver.resolve(query.target).candidates) ?? []
            for host in hosts {
                guard let client = clients[host.name] else { continue }
                let selector = query.selector
                let answer = Result { try CommandLineTools.blocking { try await client.processes(matching: selector) } }
                switch answer {
                case .success(let matches) where matches.isEmpty:
                    Swift.print("    \(host.name): no process matches")
                case .success(let matches):
                    for m in matches { Swift.print("    \(host.name): pid \(m.pid) \(m.name)  \(m.commandLine.prefix(100))") }
                case .failure(let error):
                    unreachable = true
                    Swift.print("    \(host.name): could not ask: \(error)")
                }
            }
        }
        if unreachable { throw FaultlineExit.couldNotRun }
    }
}
