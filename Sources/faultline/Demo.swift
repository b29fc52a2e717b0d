#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FaultlineLab
import FaultlinePlan
import Foundation

/// `faultline demo`: the whole product in one command, on this machine, for real.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a lab with a 3-member etcd, isolate its leader, write a report, remove the lab.",
        discussion: """
        Runs Experiments/etcd-leader-isolation.yaml against a fresh lab (`faultline lab up`): \
        health probes, a guard and a consistency workload while the leader is cut off from \
        the majority. Prints where the HTML report is. The lab is removed at the end, also \
        after a failure or Ctrl-C. Needs root; the lab uses 10.77.0.0/24 unless told otherwise.

        Examples:
          faultline demo
          faultline demo --plan Experiments/etcd-member-kill.yaml --out /tmp/demo
          faultline demo --keep-lab

        Exit codes: those of `faultline run` (0 the hypothesis held, 1 it deviated, 2 aborted, \
        3 invalid plan, 4 could not run).
        """)

    @OptionGroup var lab: LabSelection

    @Option(help: ArgumentHelp("The plan to run.", valueName: "path"))
    var plan: String = "Experiments/etcd-leader-isolation.yaml"

    @Option(help: ArgumentHelp("Where the journal and the reports go.", valueName: "folder"))
    var out: String = "faultline-demo"

    @Flag(help: "Leave the lab up afterwards (remove it with `faultline lab down`).")
    var keepLab = false

    func run() throws {
        let addressing = try lab.addressing(), directory = try lab.directory()
        let planPath = plan, outFolder = out
        guard case .success = PlanParser.load(path: planPath) else {
            print("\(planPath) is not a valid plan; `faultline validate \(planPath)` says why")
            throw FaultlineExit.invalidPlan
        }
        // Ctrl-C and SIGTERM: a run in progress handles its own (it reverts every fault);
        // we only remember it and remove the lab afterwards instead of dying half way.
        let interrupted = DemoInterrupts()
        defer { interrupted.restore() }

        let tearDown = { [keepLab] in
            if keepLab { print("lab left up (faultline lab down --name \(addressing.name) to remove it)"); return }
            do {
                let report = try Lab.down(addressing: addressing, directory: directory)
                print("lab down: \(report) in \(String(format: "%.1f", report.seconds)) s")
            } catch {
                FileHandle.standardError.write(Data("error: lab down: \(error); run `faultline lab down` by hand\n".utf8))
            }
        }
        let options = LabOptions(addressing: addressing, directory: directory, hosts: 3, service: .etcd, agents: true,
                                 faultlineBinary: CommandLineTools.faultlineBinary())
        print("== lab up: 3 hosts with etcd, an agent on each")
        let summary: Lab.Summary
        do {
            summary = try CommandLineTools.blocking { try await Lab.up(options) { print("   \($0)") } }
        } catch {
            tearDown()
            throw error
        }
        defer { tearDown() }
        print("   up in \(String(format: "%.1f", summary.seconds)) s; inventory \(summary.inventoryPath)")
        if interrupted.happened { throw FaultlineExit.aborted }

        let me = CommandLineTools.faultlineBinary() ?? CommandLine.arguments[0]
        var environment = ProcessInfo.processInfo.environment
        environment["FAULTLINE_LAB_DIR"] = directory
        try FileManager.default.createDirectory(atPath: outFolder, withIntermediateDirectories: true)
        print("== faultline run \(planPath)")
        let argv = [me, "run", planPath, "--out", outFolder, "--certs", LabPKI.directory(directory)]
        let status = try Self.runChild(argv, environment: environment)
        let report = (outFolder as NSString).appendingPathComponent("report.html")
        if FileManager.default.fileExists(atPath: report) {
            let absolute = report.hasPrefix("/") ? report : FileManager.default.currentDirectoryPath + "/" + report
            print("report: \(absolute)")
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Runs a child in our process group (so Ctrl-C reaches it too) and waits for it.
    static func runChild(_ argv: [String], environment: [String: String]) throws -> Int32 {
        fflush(nil)  // our lines first: the child writes to the same terminal
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

}

/// Ignores SIGINT and SIGTERM in this process while the demo runs (children still get
/// them with default handling) and remembers that one came, so the lab is removed anyway.
final class DemoInterrupts: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    private let lock = NSLock()
    private var seen = false

    init() {
        var made: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            made.append(source)
        }
        sources = made
        for source in sources {
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock { self.seen = true }
                FileHandle.standardError.write(Data("interrupted: the lab will be removed\n".utf8))
            }
            source.resume()
        }
    }

    var happened: Bool { lock.withLock { seen } }

    func restore() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
