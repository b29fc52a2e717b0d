import ArgumentParser
import FaultlineAgentAPI
import FaultlineController
import FaultlineCore
import FaultlineLab
import FaultlinePlan
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment: hypothesis, faults under guards, revert, hypothesis again, report.",
        discussion: """
        Resolves the inventory and targets, asks every agent involved whether it can apply \
        its faults (nothing is touched if one cannot), checks the steady-state hypothesis, \
        runs the method while guards and lease renewals run alongside, reverts every fault, \
        runs rollbacks, checks the hypothesis again and writes the journal (JSON), and the \
        JUnit file and HTML report when asked.

        Ctrl-C (or SIGTERM) stops the run: every fault is reverted at once, rollbacks and \
        the final checks still run. A second Ctrl-C reverts and exits without them. If \
        this process dies, the agents revert its faults when their lease runs out.

        Agents: `https://` agent URLs use mutual TLS with the controller certificate in \
        --certs (ca.pem and --controller NAME's NAME.pem and NAME-key.pem, as `faultline certs` \
        writes them; for `inventory: lab`, the lab's own pki folder); `http://` URLs are the insecure lab mode, with the bearer \
        token from FAULTLINE_AGENT_TOKEN when set.

        Examples:
          faultline run Experiments/ci-gate.yaml --junit build/faultline.xml
          faultline run Experiments/etcd-leader-isolation.yaml --seed 7 --out runs/7
          faultline run plan.yaml --certs /etc/faultline/pki --controller ci
          faultline run staging.yaml --var etcd-port=2479 --out runs/staging

        Exit codes:
          0  the hypothesis held
          1  the hypothesis deviated (before the method: nothing was injected; or after it)
          2  aborted: a guard tripped, a halt, or a signal; every fault was reverted
          3  the plan is invalid
          4  could not run: an agent unreachable, a capability missing, no lab up
        """
    )

    @Argument(help: "The plan file.")
    var plan: String

    @Option(help: ArgumentHelp("Where to write the journal (JSON).", valueName: "path"))
    var journal: String?

    @Option(help: ArgumentHelp("Where to write the JUnit XML file.", valueName: "path"))
    var junit: String?

    @Option(help: ArgumentHelp("Where to write the HTML report.", valueName: "path"))
    var report: String?

    @Option(help: ArgumentHelp("A folder for journal.json, junit.xml and report.html (each unless given by its own option).", valueName: "folder"))
    var out: String?

    @Option(help: "Seed for random choices (default: the plan's settings.seed, else a fresh one, recorded in the journal).")
    var seed: UInt64?

    @OptionGroup var certificates: ControllerCertificates

    @OptionGroup var variables: PlanVariableOptions

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let parsed: Plan
        switch PlanParser.load(path: plan, inputs: variables.inputs()) {
        case .success(let p):
            parsed = p
            for w in p.warnings { Self.stderr(w.description) }
        case .failure(let error):
            for d in error.diagnostics { Self.stderr(d.description) }
            throw FaultlineExit.invalidPlan
        }
        let inventory: Inventory
        var isLab = false
        switch parsed.inventory {
        case .inline(let inv): inventory = inv
        case .file(_, let resolved):
            switch PlanParser.loadInventory(path: resolved) {
            case .success(let inv): inventory = inv
            case .failure(let error):
                for d in error.diagnostics { Self.stderr(d.description) }
                throw FaultlineExit.invalidPlan
            }
        case .lab:
            let path = LabInventory.inventoryPath(environment: environment)
            guard FileManager.default.fileExists(atPath: path) else {
                Self.stderr("error: the plan says 'inventory: lab' and no lab is up (\(path) does not exist); run `faultline lab up` first")
                throw FaultlineExit.couldNotRun
            }
            switch PlanParser.loadInventory(path: path) {
            case .success(let inv): inventory = inv
            case .failure(let error):
                for d in error.diagnostics { Self.stderr(d.description) }
                throw FaultlineExit.couldNotRun
            }
            isLab = true
        }
        let seedValue = seed ?? parsed.settings.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var system = SystemRandomNumberGenerator()
        let runShort = FaultID.runShort(using: &system)

        let outFolder = out
        if let outFolder { try? FileManager.default.createDirectory(atPath: outFolder, withIntermediateDirectories: true) }
        let journalPath = journal ?? outFolder.map { "\($0)/journal.json" } ?? "faultline-\(runShort).journal.json"
        let junitPath = junit ?? outFolder.map { "\($0)/junit.xml" }
        let reportPath = report ?? outFolder.map { "\($0)/report.html" }

        let credentials = certificates.credentials(forLab: isLab, environment: environment)
        let clients: [String: any AgentClient]
        do {
            clients = try AgentDirectory.clients(for: inventory.hosts, credentials: credentials, timeout: parsed.settings.agentTimeout)
        } catch {
            Self.stderr("error: \(error)")
            throw FaultlineExit.couldNotRun
        }

        let journalURL = URL(fileURLWithPath: journalPath)
        let view = LiveView(title: parsed.title, hosts: inventory.hosts.map(\.name), plannedSeconds: Timeline(method: parsed.method).total.seconds)
        let engine = RunEngine(plan: parsed, inventory: inventory, clients: clients,
                               configuration: RunConfiguration(seed: seedValue, runShort: runShort,
                                                               historyDirectory: journalURL.deletingLastPathComponent().path,
                                                               historyPrefix: journalURL.deletingPathExtension().lastPathComponent),
                               observer: view, journalSink: JournalFile(path: journalPath))
        let trap = SignalTrap { name in engine.interrupt(signal: name) }
        let result = try CommandLineTools.blocking { await engine.run() }
        trap.cancel()
        view.finish()
        if let problem = try CommandLineTools.blocking({ await engine.book.sinkError }) {
            Self.stderr("warning: the journal could not be written as the run went (\(problem)); writing it now")
        }

        func write(_ text: Data, _ path: String, _ what: String) {
            do { try text.write(to: URL(fileURLWithPath: path), options: .atomic); print("\(what): \(path)") } catch {
                Self.stderr("error: cannot write the \(what) to \(path): \(error.localizedDescription)")
            }
        }
        do { write(try result.encoded(), journalPath, "journal") } catch { Self.stderr("error: cannot encode the journal: \(error)") }
        if let junitPath { write(Data(JUnitWriter.render(result).utf8), junitPath, "JUnit") }
        if let reportPath { write(Data(HTMLReport.render(result).utf8), reportPath, "report") }
        let outcome = result.outcome ?? .couldNotRun
        print("\(outcome.rawValue): \(result.reason ?? "")")
        if outcome != .held { throw ExitCode(outcome.exitCode) }
    }

    static func stderr(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
