import ArgumentParser
import FaultlineLab
import FaultlinePlan
import Foundation

/// `faultline lab`: the local lab, hosts as network namespaces on one machine.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build, inspect and remove a local lab: namespace hosts on a bridge, an agent in each, a real etcd.",
        discussion: """
        Each host is a network namespace fl-NAME-nI joined by a veth to the bridge fl-NAME-br \
        (10.77.N.1 in this machine's root namespace, where the controller runs); host I is \
        10.77.N.(10+I), reaches only the lab's subnet, and runs a faultline-agent on port 7433 \
        with mutual TLS (a lab CA made on the fly). The inventory plans name as \
        `inventory: lab` is written to the lab's folder. Needs root.

        Examples:
          faultline lab up
          faultline lab up --hosts 5 --service etcd
          faultline lab status
          faultline lab restart --service etcd --host n2
          faultline lab down
          faultline lab up --name ci7 --subnet 10.77.7.0/24 --dir /tmp/ci7-lab
          faultline lab up --hosts 1 --service none --guests 2
          faultline lab exec g1 -- tc qdisc show dev eth0

        Guests (--guests N) are QEMU machines gI at 10.77.N.(100+I) on the same bridge, booting \
        Debian's stock cloud kernel (fetched with apt-get download, unpacked into \
        /var/cache/faultline/guest, never installed): they have netem and a clock of their own.

        Exit codes: 0 done (status: every host healthy); 1 status: something unhealthy; \
        4 the lab could not be built, inspected or removed (nothing is left behind by a failed up); \
        64 bad input (nothing changed).
        """,
        subcommands: [LabUp.self, LabStatus.self, LabRestart.self, LabExec.self, LabDown.self]
    )
}

/// Which lab a command means: its name, subnet and folder.
struct LabSelection: ParsableArguments {
    @Option(help: "The lab's name: 1–8 lower-case letters or digits; its objects are named fl-NAME-*.")
    var name: String = LabAddressing.standard.name

    @Option(help: ArgumentHelp("The lab's subnet, 10.77.N.0/24.", valueName: "subnet"))
    var subnet: String = LabAddressing.standard.subnet

    @Option(help: ArgumentHelp("The lab's folder (default: $FAULTLINE_LAB_DIR or /run/faultline/lab; /run/faultline/NAME for other names).", valueName: "path"))
    var dir: String?

    func addressing() throws -> LabAddressing {
        let index: Int
        switch LabAddressing.subnetIndex(parsing: subnet) {
        case .success(let n): index = n
        case .failure(let e): throw ValidationError("--subnet: \(e.message)")
        }
        switch LabAddressing.make(name: name, subnetIndex: index) {
        case .success(let a): return a
        case .failure(let e): throw ValidationError("--name: \(e.message)")
        }
    }

    func directory() throws -> String {
        if let dir { return dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir }
        return LabOptions.defaultDirectory(for: try addressing())
    }

    func validate() throws { _ = try addressing() }
}

struct LabUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Build a lab: hosts, agents, and the service (etcd by default).",
        discussion: """
        Refuses (changing nothing) when a lab with this name or folder is up, or the subnet is in use. \
        On any failure half way everything already made is removed again.

        Examples:
          faultline lab up
          faultline lab up --hosts 5
          faultline lab up --service none --hosts 2
          faultline lab up --hosts 1 --service none --guests 2
        """)

    @OptionGroup var lab: LabSelection

    @Option(help: "Number of hosts (1–9; etcd: 3 or 5).")
    var hosts: Int = 3

    @Option(help: "The service to run on the hosts: etcd, redis, haproxy (on n1, HTTP backends on the others) or none.")
    var service: LabService = .etcd

    @Option(help: "QEMU guests (0–9) beside the hosts: stock kernel with netem, a clock of their own; ~10 s to boot each.")
    var guests: Int = 0

    @Flag(inversion: .prefixedNo, help: "Start a faultline-agent on every host (plans need them to inject faults).")
    var agents: Bool = true

    @Option(help: ArgumentHelp("How long each agent and service member gets to become ready, e.g. 30s or 2m.", valueName: "duration"))
    var timeout = DurationArgument(.seconds(30))

    func run() throws {
        var options = LabOptions(addressing: try lab.addressing(), directory: try lab.directory(), hosts: hosts, service: service,
                                 agents: agents, faultlineBinary: CommandLineTools.faultlineBinary(),
                                 readyTimeout: timeout.seconds)
        options.guests = guests
        let chosen = options
        let summary = try CommandLineTools.blocking { try await Lab.up(chosen) { print($0) } }
        print("lab '\(summary.state.name)' up in \(String(format: "%.1f", summary.seconds)) s: \(summary.state.hosts) hosts, service \(summary.state.service)")
        for host in summary.inventory.hosts { print("  \(host.name)  \(host.address)  agent \(host.agent)") }
        print("inventory: \(summary.inventoryPath)")
        print("certificates: \(LabPKI.directory(summary.state.directory))")
    }
}

struct LabExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside a lab guest (through its console) and print its output.",
        discussion: """
        The command's arguments are passed literally (quoted for the guest's shell). Exits with the command's status.

        Examples:
          faultline lab exec g1 -- tc -s qdisc show dev eth0
          faultline lab exec g2 -- fl-netprobe measure 10.77.0.101 7999 100 10
          faultline lab exec g1 -- date -u
        """)

    @OptionGroup var lab: LabSelection

    @Argument(help: "The guest (g1, g2, ...).")
    var guest: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    @Option(help: ArgumentHelp("How long to wait for the command, e.g. 60s.", valueName: "duration"))
    var timeout = DurationArgument(.seconds(60))

    func validate() throws {
        guard guest.count >= 2, guest.first == "g", Int(guest.dropFirst()) != nil else {
            throw ValidationError("guest '\(guest)': expected g1, g2, ...")
        }
        guard !command.filter({ $0 != "--" }).isEmpty else { throw ValidationError("missing the command to run") }
    }

    func run() throws {
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        let console = GuestConsole(labDirectory: try lab.directory(), guest: guest)
        let result = try console.run(argv, timeout: timeout.seconds)
        if !result.output.isEmpty { print(result.output, terminator: result.output.hasSuffix("\n") ? "" : "\n") }
        if result.status != 0 { throw ExitCode(result.status) }
    }
}

struct LabStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the lab's hosts, whether their agents answer, and the service's health.",
        discussion: "Examples:\n  faultline lab status\n  faultline lab status --name ci7 --dir /tmp/ci7-lab")

    @OptionGroup var lab: LabSelection

    func run() throws {
        let directory = try lab.directory()
        let status = try CommandLineTools.blocking { try await Lab.status(directory: directory) }
        print(status, terminator: "")
        if !status.isHealthy { throw ExitCode(1) }
    }
}

struct LabRestart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Start again the service members that are not running (after a kill).",
        discussion: """
        Members that run are left alone; restarted ones rejoin with their data and are waited for until healthy.

        Examples:
          faultline lab restart --service etcd
          faultline lab restart --service etcd --host n2
        """)

    @OptionGroup var lab: LabSelection

    @Option(help: "The service whose members to restart.")
    var service: LabService = .etcd

    @Option(help: "Only this host (n1, n2, ...).")
    var host: String?

    func run() throws {
        let directory = try lab.directory()
        let (service, host) = (self.service, self.host)
        let lines = try CommandLineTools.blocking { try await Lab.restart(service: service, host: host, directory: directory) }
        for line in lines { print(line) }
    }
}

struct LabDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Remove the lab: its processes, namespaces, links, bridge and folder.",
        discussion: """
        Safe to run twice and after a crashed `up`: besides what the lab's state file lists, it finds \
        processes naming the lab's folder and kernel objects named fl-NAME-*. Ends only processes \
        the lab started (checked by pid, command line and start time).

        Examples:
          faultline lab down
          faultline lab down --name ci7 --dir /tmp/ci7-lab
        """)

    @OptionGroup var lab: LabSelection

    func run() throws {
        let (addressing, directory) = (try lab.addressing(), try lab.directory())
        let report = try CommandLineTools.reporting { try Lab.down(addressing: addressing, directory: directory) }
        print("lab '\(lab.name)': \(report) in \(String(format: "%.2f", report.seconds)) s")
    }
}

extension LabService: ExpressibleByArgument {}

/// Small helpers the lab and demo commands share.
enum CommandLineTools {
    /// Runs async work from a synchronous command on the main thread (not a cooperative
    /// thread, so blocking here cannot starve the work it waits for).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try reporting { try box.get() }
    }

    /// Prints a lab error as one line on stderr and exits 64 for bad input (nothing was
    /// changed), 4 when the lab could not be built, inspected or removed.
    static func reporting<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as LabError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            if case .invalid = error { throw ExitCode.validationFailure }
            throw FaultlineExit.couldNotRun
        }
    }

    /// This `faultline` binary, for agents that call `faultline lab restart`.
    static func faultlineBinary() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    final class ResultBox<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<T, Error>?
        func set(_ r: Result<T, Error>) { lock.withLock { result = r } }
        func get() throws -> T { try lock.withLock { result! }.get() }
    }
}
