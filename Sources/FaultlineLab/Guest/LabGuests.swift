import FaultlineAgentAPI
import FaultlinePlan
import Foundation

/// `lab up --guests N`: QEMU guests with Debian's stock cloud kernel beside the namespace
/// hosts, on the same bridge (a tap each), each with its own clock and a kernel that has
/// netem. Their agents use the same certificates and inventory format as namespace hosts,
/// and a policy that allows host-scope clock steps: a guest's clock is its own.
enum LabGuests {
    /// Kernel and images are kept here between labs (`FAULTLINE_GUEST_CACHE` overrides).
    static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["FAULTLINE_GUEST_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/cache/faultline/guest"
    }

    /// Guests boot under software emulation: give them longer than namespace hosts.
    static let readyTimeout: TimeInterval = 180

    static func start(options: LabOptions, state: inout LabState, progress: @Sendable (String) -> Void) async throws {
        let a = options.addressing, dir = options.directory
        let cache = cacheDirectory()
        try LabFiles.makeDirectory(cache, mode: 0o755)
        let kernel = try GuestKernel.ensure(cache: cache, progress: progress)
        guard let agent = options.agentBinary ?? LabAgents.locateBinary() else {
            throw LabError.unsupported("faultline-agent not found beside faultline, or set FAULTLINE_AGENT")
        }
        guard let netprobe = locateNetprobe(besides: agent) else {
            throw LabError.unsupported("fl-netprobe not found beside faultline-agent (build it: swift build --product fl-netprobe)")
        }
        let programs = [GuestImage.Program(source: agent, target: "/usr/bin/faultline-agent", strip: true),
                        GuestImage.Program(source: netprobe, target: "/usr/bin/fl-netprobe", strip: false),
                        GuestImage.Program(source: LabNetwork.ip, target: LabNetwork.ip, strip: false),
                        GuestImage.Program(source: "/usr/sbin/tc", target: "/usr/sbin/tc", strip: false)]
        let image = try GuestImage.ensure(kernel: kernel, programs: programs, cache: cache, progress: progress)
        progress("guests: \(options.guests) QEMU guests, kernel \(kernel.version)")
        try LabFiles.makeDirectory(GuestMachine.folder(dir))

        for i in 1...options.guests {
            let machine = GuestMachine(index: i, addressing: a, labDirectory: dir, kernel: kernel.vmlinuz, initramfs: image)
            try writeConfigArchive(for: machine)
            let tap = a.tapName(ofGuest: i)
            state.links.append(tap)
            try state.save()
            try Spawn.check([LabNetwork.ip, "tuntap", "add", "dev", tap, "mode", "tap"])
            try Spawn.check([LabNetwork.ip, "link", "set", tap, "master", a.bridge, "up"])
            try Lab.start(role: "guest", host: machine.name, argv: machine.argv, log: machine.qemuLog, state: &state)
        }
        for i in 1...options.guests {
            try await waitForAgent(GuestMachine(index: i, addressing: a, labDirectory: dir, kernel: kernel.vmlinuz, initramfs: image),
                                   options: options, state: state)
        }
    }

    static func locateNetprobe(besides agent: String) -> String? {
        let folder = (agent as NSString).deletingLastPathComponent
        return Spawn.locate([folder + "/fl-netprobe"])
    }

    /// The guest's own files, handed over through fw_cfg and unpacked by its /init.
    static func writeConfigArchive(for machine: GuestMachine) throws {
        let a = machine.addressing, dir = machine.labDirectory
        let tls = LabPKI.agentFiles(dir, host: machine.name)
        let path = machine.configArchive
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: path) else { throw LabError.system(call: "open(\(path))", errno: errno) }
        defer { try? handle.close() }
        var archive = CPIOArchive(writingTo: handle)
        try archive.append(.directory(path: "etc"))
        try archive.append(.directory(path: "etc/faultline"))
        let environment = "FL_HOST=\(machine.name)\nFL_ADDRESS=\(a.address(ofGuest: machine.index))/24\n"
        try archive.append(.file(path: "etc/faultline/guest.env", contents: Data(environment.utf8)))
        try archive.append(.file(path: "etc/faultline/agent.yaml", contents: Data(agentConfig(machine).utf8)))
        try archive.append(.file(path: "etc/faultline/ca.pem", contents: try GuestImage.read(tls.ca)))
        try archive.append(.file(path: "etc/faultline/agent.pem", contents: try GuestImage.read(tls.certificate)))
        try archive.append(.file(path: "etc/faultline/agent-key.pem", contents: try GuestImage.read(tls.key), mode: 0o600))
        try archive.finish()
    }

    /// The guest agent's configuration: like a namespace host's, but the host is the whole
    /// machine (no network namespace, device eth0) and its clock may be stepped.
    static func agentConfig(_ machine: GuestMachine) -> String {
        let a = machine.addressing
        return """
        # Written by `faultline lab up` for guest \(machine.name) of lab '\(a.name)'.
        listen: \(a.address(ofGuest: machine.index)):\(LabInventory.agentPort)
        host-name: \(machine.name)
        tls:
          ca: /etc/faultline/ca.pem
          certificate: /etc/faultline/agent.pem
          key: /etc/faultline/agent-key.pem
          insecure: false
          bearer-token: null
        ledger: /var/lib/faultline/ledger.jsonl
        controllers:
          - \(a.bridgeAddress)/32
        network-namespace: null
        device: eth0
        restart: {}
        policy:
          allowed-kinds: [latency, loss, duplicate, corrupt, reorder, bandwidth, partition, kill, pause, clock]
          max-concurrent-faults: 16
          max-lease-seconds: 600
          interfaces: []
          process-names: [fl-netprobe]
          # A guest's clock is its own: stepping it never touches the machine running the lab.
          allow-host-clock: true

        """
    }

    static func waitForAgent(_ machine: GuestMachine, options: LabOptions, state: LabState) async throws {
        try await Lab.waitForAgent(name: machine.name, address: machine.addressing.address(ofGuest: machine.index),
                                   process: (role: "guest", exited: "QEMU for guest \(machine.name) exited"),
                                   labDirectory: machine.labDirectory, within: max(options.readyTimeout, readyTimeout),
                                   every: .milliseconds(250), state: state) {
            LabFiles.tail(machine.qemuLog) + LabFiles.tail(machine.kernelLog)
        }
    }
}
