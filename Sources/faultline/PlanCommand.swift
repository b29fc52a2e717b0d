import ArgumentParser
import FaultlineAgentAPI
import FaultlineController
import FaultlineCore
import FaultlineLab
import FaultlinePlan
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry-run a plan: print what would happen when, on which hosts, touching nothing.",
        discussion: """
        Resolves the inventory and the static targets, draws `pick` and `percent` choices \
        with the seed, and prints the timeline: each step's start and end, the hosts it \
        touches, partitions as who-cannot-reach-whom, and when probes and guards run. \
        Targets resolved at run time (the etcd leader) are shown with their candidates. \
        With `inventory: lab` and no lab running, the layout `faultline lab up` would \
        create for the plan's service (etcd, redis or haproxy, read from its targets' role \
        labels, dynamic targets and workloads) is used.

        A target that selects no host of the inventory (or cannot be resolved at all) is an \
        error: the timeline is still printed, each such target is named on stderr with why, \
        and the exit code is 4, as `faultline run` could not start. When the plan is for a \
        lab service other than the one the running lab runs, that is said too, with the \
        command that builds the right lab.

        Examples:
          faultline plan Experiments/etcd-leader-isolation.yaml
          faultline plan Experiments/chaos-monkey.yaml --seed 42
          faultline plan Experiments/etcd-member-kill.yaml --ask-agents

        With --ask-agents, every process selector (kill, pause, clock) is sent to the agents \
        of its target's hosts, which answer with the processes it would reach right now: \
        pid, name and command line. Nothing is applied.

        Exit codes: 0 printed; 3 the plan is invalid; 4 a target selects no host of the \
        inventory, or --ask-agents could not reach an agent.
        """
    )

    @Argument(help: "The plan file.")
    var plan: String

    @Option(help: "Seed for random choices (default: the plan's settings.seed, else a fresh one).")
    var seed: UInt64?

    @Flag(help: "Ask each host's agent which processes the plan's process selectors would reach.")
    var askAgents = false

    @OptionGroup var variables: PlanVariableOptions

    /// Used with --ask-agents.
    @OptionGroup var certificates: ControllerCertificates

    func run() throws {
        let parsed: Plan
        switch PlanParser.load(path: plan, inputs: variables.inputs()) {
        case .success(let p): parsed = p
        case .failure(let error):
            for d in error.diagnostics { FileHandle.standardError.write(Data((d.description + "\n").utf8)) }
            throw FaultlineExit.invalidPlan
        }
        let inventory: Inventory
        let note: String
        switch parsed.inventory {
        case .inline(let inv):
            inventory = inv; note = "inline"
        case .file(let written, let resolved):
            switch PlanParser.loadInventory(path: resolved) {
            case .success(let inv): inventory = inv; note = "file \(written)"
            case .failure(let error):
                for d in error.diagnostics { FileHandle.standardError.write(Data((d.description + "\n").utf8)) }
                throw FaultlineExit.invalidPlan
            }
        case .lab:
            let path = LabInventory.inventoryPath(environment: ProcessInfo.processInfo.environment)
            if FileManager.default.fileExists(atPath: path), case .success(let inv) = PlanParser.loadInventory(path: path) {
                inventory = inv; note = "lab (running, \(path))"
            } else if let service = LabServiceNeed.service(of: parsed), service != "etcd" {
                inventory = LabInventory.layout(service: service)
                note = "lab (no lab is up: the layout `faultline lab up --service \(service)` creates)"
            } else {
                inventory = LabInventory.layout(); note = "lab (no lab is up: the layout `faultline lab up` creates)"
            }
        }
        let (seedValue, seedNote): (UInt64, String) = if let seed { (seed, "--seed") }
            else if let s = parsed.settings.seed { (s, "settings.seed") }
            else { (UInt64.random(in: 0...UInt64(UInt32.max)), "drawn for this dry run; pass --seed to repeat it") }
        let printer = PlanPrinter(plan: parsed, inventory: inventory, inventoryNote: note, seed: seedValue, seedNote: seedNote)
        print(printer.render(), terminator: "")
        let unresolved = printer.unresolvedTargets()
        if !unresolved.isEmpty {
            var lines = unresolved.map { "\(plan): error: \($0) (inventory: \(note))" }
            if case .lab = parsed.inventory, let needed = LabServiceNeed.service(of: parsed),
               LabServiceNeed.service(of: inventory) != needed {
                let running = LabServiceNeed.service(of: inventory).map { "runs \($0)" } ?? "runs no service"
                lines.append("\(plan): this plan needs a lab running \(needed), and the lab that is up \(running): "
                             + "`faultline lab down && faultline lab up --service \(needed)`")
            }
            for line in lines { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            throw FaultlineExit.couldNotRun
        }
        if askAgents {
            let isLab = if case .lab = parsed.inventory { true } else { false }
            let credentials = certificates.credentials(forLab: isLab, environment: ProcessInfo.processInfo.environment)
            try SelectorPreview(plan: parsed, inventory: inventory, seed: seedValue, credentials: credentials).print()
        }
    }
}
