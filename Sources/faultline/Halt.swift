import ArgumentParser
import FaultlineAgentAPI
import FaultlineController
import FaultlineCore
import FaultlineLab
import FaultlinePlan
import Foundation

struct Halt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revert every fault Faultline has applied on every agent of an inventory.",
        discussion: """
        Calls every agent at once (DELETE /v1/faults) and prints, per host, what it \
        reverted. Works from any machine holding a controller certificate; a run whose \
        faults are halted notices at its next lease renewal and stops (exit 2).

        Examples:
          faultline halt --inventory lab
          faultline halt --inventory staging.yaml --certs /etc/faultline/pki

        Exit codes: 0 every agent answered; 4 at least one could not be reached.
        """
    )

    @Option(help: ArgumentHelp("An inventory file, or 'lab' for the local lab.", valueName: "path|lab"))
    var inventory: String

    @OptionGroup var certificates: ControllerCertificates

    @Option(help: "Timeout of each agent call.")
    var timeout: String = "5s"

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let timeoutSpan = TimeSpan(timeout), timeoutSpan > .zero else {
            throw ValidationError("--timeout: '\(timeout)' is not a duration such as 5s or 500ms")
        }
        let path: String
        if inventory == "lab" {
            path = LabInventory.inventoryPath(environment: environment)
        } else {
            path = inventory
        }
        let hosts: [FaultlinePlan.Host]
        switch PlanParser.loadInventory(path: path) {
        case .success(let inv): hosts = inv.hosts
        case .failure(let error):
            for d in error.diagnostics { Run.stderr(d.description) }
            if inventory == "lab", !FileManager.default.fileExists(atPath: path) { Run.stderr("error: no lab is up (\(path) does not exist)") }
            throw FaultlineExit.couldNotRun
        }
        let credentials = certificates.credentials(forLab: inventory == "lab", environment: environment)
        let clients: [String: any AgentClient]
        do { clients = try AgentDirectory.clients(for: hosts, credentials: credentials, timeout: timeoutSpan) } catch {
            Run.stderr("error: \(error)")
            throw FaultlineExit.couldNotRun
        }
        let started = Date()
        let results = try CommandLineTools.blocking { await HaltAll.run(clients: clients, order: hosts.map(\.name)) }
        let took = Date().timeIntervalSince(started)
        var unreachable = 0
        for r in results {
            switch r.result {
            case .success(let ids): print("\(r.host): reverted \(ids.count)\(ids.isEmpty ? "" : ": " + ids.joined(separator: ", "))")
            case .failure(let e): unreachable += 1; print("\(r.host): FAILED: \(e)")
            }
        }
        print(String(format: "halt: %d host(s) in %.0f ms", results.count, took * 1000))
        if unreachable > 0 { throw FaultlineExit.couldNotRun }
    }
}
