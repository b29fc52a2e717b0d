#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// `make deb` for real: the package built from the debug binaries `swift build` made, installed
/// with `dpkg -i` on this machine; its agent, started as its `faultline` user with only its
/// file capabilities, applies and reverts a partition and a latency (the delay engine's
/// iptables-restore child) inside a namespace this test makes; `dpkg --purge` then leaves no
/// file, user, group or capability behind.
///
/// It refuses to run (and says why) when anything it would install or purge is already on the
/// machine: a faultline package, user or group, or one of its paths. It never purges what it
/// did not install.
@Suite("Debian package", .serialized)
struct DebianPackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let paths = ["/usr/bin/faultline", "/usr/bin/faultline-agent", "/lib/systemd/system/faultline-agent.service",
                        "/etc/faultline", "/var/lib/faultline", "/usr/share/doc/faultline"]
    static let tools = ["/usr/bin/dpkg", "/usr/bin/dpkg-deb", "/usr/bin/dpkg-query", "/usr/sbin/getcap", "/usr/bin/setpriv",
                        "/usr/bin/getent", "/usr/bin/make", "/usr/bin/objdump"]

    struct Run { var status: Int32; var output: String }

    /// Runs argv to completion, stdout and stderr together.
    static func run(_ argv: [String], environment: [String: String]? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func packageKnown() -> Bool { (try? run(["/usr/bin/dpkg-query", "-W", "faultline"]))?.status == 0 }
    static func account(_ database: String) -> String? {
        guard let r = try? run(["/usr/bin/getent", database, "faultline"]), r.status == 0 else { return nil }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Why the test must not run here, or nil.
    static func refusal() -> String? {
        if getuid() != 0 { return "needs root (dpkg -i)" }
        if let missing = tools.first(where: { !FileManager.default.isExecutableFile(atPath: $0) }) { return "needs \(missing)" }
        if packageKnown() { return "dpkg already knows a package named faultline: not touching it" }
        if account("passwd") != nil || account("group") != nil { return "a faultline user or group already exists: not touching it" }
        if let present = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) { return "\(present) already exists: not touching it" }
        return nil
    }

    /// The capabilities of the unit's AmbientCapabilities, as getcap names them.
    static func unitCapabilities() throws -> Set<String> {
        let unit = try String(contentsOf: root.appendingPathComponent("Agents/systemd/faultline-agent.service"), encoding: .utf8)
        let line = unit.split(separator: "\n").first { $0.hasPrefix("AmbientCapabilities=") } ?? ""
        return Set(line.dropFirst("AmbientCapabilities=".count).split(separator: " ").map { $0.lowercased() })
    }

    @Test("dpkg -i, the packaged agent as its user applies and reverts partition and latency in a namespace, dpkg --purge leaves nothing")
    func installRunPurge() async throws {
        if let reason = Self.refusal() {
            print("DebianPackageTests: skipped: \(reason)")
            return
        }
        let directory = try TemporaryDirectory("deb")
        defer { directory.remove() }
        chmod(directory.path, 0o755)  // the faultline user reads its config and certificates here

        // make deb, from the binaries this test run was built with (uncompressed: quicker).
        let binaries = URL(fileURLWithPath: AgentUnderTest.agentBinary).deletingLastPathComponent().path
        let started = Date()
        let made = try Self.run(["/usr/bin/make", "-s", "-C", Self.root.path, "deb", "BIN=\(binaries)", "DEBDIR=\(directory.path)"],
                                environment: ["DEB_COMPRESSION": "none"])
        try #require(made.status == 0, "make deb: \(made.output)")
        let deb = directory.path + "/faultline_\(FaultlineVersion.current)_amd64.deb"
        try #require(FileManager.default.fileExists(atPath: deb), "make deb said: \(made.output)")
        print("make deb (BIN=.build/debug, uncompressed): \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        let control = try Self.run(["/usr/bin/dpkg-deb", "-f", deb, "Depends"]).output
        for library in ["libnftables1", "libnl-route-3-200", "libnetfilter-queue1", "libcap2", "libc6", "libcap2-bin"] {
            #expect(control.contains(library), "Depends lacks \(library): \(control)")
        }
        #expect(try Self.run(["/usr/bin/dpkg-deb", "-f", deb, "Package", "Version"]).output == "Package: faultline\nVersion: \(FaultlineVersion.current)\n")

        // From here on the package may be (partly) installed: purge it whatever happens.
        var installedByUs = false
        defer {
            if installedByUs {
                let purge = try? Self.run(["/usr/bin/dpkg", "--purge", "faultline"])
                if purge?.status != 0 { print("DebianPackageTests: teardown purge: \(purge?.output ?? "did not run")") }
            }
        }
        installedByUs = true
        let install = try Self.run(["/usr/bin/dpkg", "-i", deb])
        try #require(install.status == 0, "dpkg -i: \(install.output)")

        // The user, the conffile, the unit and the file capabilities.
        let passwd = try #require(Self.account("passwd"), "postinst made no faultline user")
        let fields = passwd.split(separator: ":", omittingEmptySubsequences: false)
        let uid = try #require(Int(fields[2]))
        #expect(uid < 1000, "a system user: \(passwd)")
        #expect(fields[5] == "/var/lib/faultline" && fields[6] == "/usr/sbin/nologin", "\(passwd)")
        #expect(try Self.run(["/usr/bin/dpkg-query", "-W", "-f", "${Conffiles}", "faultline"]).output.contains("/etc/faultline/agent.yaml"))
        let unit = try String(contentsOfFile: "/lib/systemd/system/faultline-agent.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/usr/bin/faultline-agent --config /etc/faultline/agent.yaml\n"))
        if FileManager.default.isExecutableFile(atPath: SystemdUnitTests.analyze) {
            let verify = try Self.run([SystemdUnitTests.analyze, "verify", "/lib/systemd/system/faultline-agent.service"])
            #expect(verify.status == 0 && verify.output.isEmpty, "systemd-analyze verify of the installed unit: \(verify.output)")
        }
        let getcap = try Self.run(["/usr/sbin/getcap", "/usr/bin/faultline-agent"]).output
        // "/usr/bin/faultline-agent cap_dac_override,cap_kill,...=ep"
        let granted = getcap.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        #expect(granted.hasSuffix("=ep"), "getcap: \(getcap)")
        #expect(Set(granted.dropLast(3).split(separator: ",").map(String.init)) == (try Self.unitCapabilities()), "getcap: \(getcap)")

        // The packaged agent, as the packaged user, in a namespace made for this test.
        let host = try TestHostNamespace.make(tag: "dp")
        defer { host.destroy() }
        let state = directory.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        chown(state, uid_t(uid), gid_t(UInt32(fields[3])!))
        let pki = try TestPKI(directory: directory.path, agentAddress: host.hostAddress)
        chmod(pki.agentKeyPath, 0o644)  // a temporary key of a temporary CA, readable by the agent's user
        let config = directory.path + "/agent.yaml"
        try """
        listen: \(host.hostAddress):7433
        host-name: \(host.name)
        tls: { ca: \(pki.caPath), certificate: \(pki.agentCertificatePath), key: \(pki.agentKeyPath) }
        ledger: \(state)/ledger.jsonl
        controllers: [\(host.controllerAddress)/32]
        network-namespace: \(host.name)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        // setpriv drops root's capabilities with the uid; the exec of the agent then gives it
        // exactly its file capabilities.
        let agent = try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", host.name, "/usr/bin/setpriv", "--reuid=faultline", "--regid=faultline",
                                        "--init-groups", "/usr/bin/faultline-agent", "--config", config], logPath: directory.path + "/agent.log")
        defer { agent.kill() }
        let client = HTTPAgentClient(endpoint: AgentEndpoint(name: host.name, address: host.hostAddress, port: 7433),
                                     security: .mutualTLS(try pki.clientContext(.controller)), timeout: .seconds(3))
        defer { client.close() }
        let deadline = Date().addingTimeInterval(20)
        var health: AgentHealth?
        while health == nil && Date() < deadline && !agent.hasExited {
            health = try? await client.health()
            if health == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(health != nil, "the packaged agent did not serve: \(agent.logTail())")
        #expect(health?.version == FaultlineVersion.current)
        let status = try String(contentsOfFile: "/proc/\(agent.pid)/status", encoding: .utf8)
        #expect(status.contains("\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\n"), "the agent must run as faultline: \(status)")
        let capabilities = try await client.capabilities()
        #expect(Set(capabilities.holds.map { $0.lowercased() }).isSuperset(of: try Self.unitCapabilities()), "holds \(capabilities.holds)")
        for kind in [FaultKind.partition, .latency] {
            let entry = capabilities.faults.first { $0.kind == kind }
            #expect(entry?.available == true, "\(kind): \(String(describing: entry))")
        }

        // A partition: nftables through libnftables, in the agent's own process.
        _ = try await client.apply(id: "pkg-part", fault: .partition(Partition(topology: .inbound, filter: NetworkFilter(peers: [.cidr("192.0.2.1/32")]))),
                                   lease: .seconds(30))
        #expect(try host.nftTables().contains("fl_pkg-part"))
        #expect(try await client.revert(id: "pkg-part"))
        #expect(try !host.nftTables().contains("fl_pkg-part"))

        // A latency: where the kernel has no netem, the delay engine's rules come from an
        // iptables-restore the agent spawns, which needs CAP_NET_ADMIN of its own.
        let mechanism = capabilities.faults.first { $0.kind == .latency }?.mechanism ?? "?"
        let ruleset = { try TestHostNamespace.run(["/usr/sbin/ip", "netns", "exec", host.name, "/usr/sbin/nft", "list", "ruleset"]) }
        #expect(try !ruleset().contains("FL-"))
        let applied: ApplyResult?
        do {
            applied = try await client.apply(id: "pkg-lat", fault: .latency(Latency(delay: .milliseconds(20), filter: NetworkFilter(peers: [.cidr("192.0.2.1/32")]))),
                                             lease: .seconds(30))
        } catch {
            applied = nil
            Issue.record("latency (\(mechanism)) as the faultline user: \(error); agent log: \(agent.logTail())")
        }
        if mechanism.contains("netem") {
            print("latency mechanism here: \(mechanism) (no iptables-restore involved)")
        } else if applied != nil {
            #expect(try ruleset().contains("FL-"), "the delay engine's chain must be in ip mangle")
        }
        if applied != nil { #expect(try await client.revert(id: "pkg-lat")) }
        #expect(try !ruleset().contains("FL-"), "revert must remove the delay engine's chain")
        agent.kill()

        // Purge: nothing of the package is left.
        let purge = try Self.run(["/usr/bin/dpkg", "--purge", "faultline"])
        #expect(purge.status == 0, "dpkg --purge: \(purge.output)")
        installedByUs = purge.status != 0
        #expect(!Self.packageKnown(), "dpkg still knows faultline")
        #expect(Self.account("passwd") == nil && Self.account("group") == nil, "the faultline user or group is left")
        for path in Self.paths { #expect(!FileManager.default.fileExists(atPath: path), "\(path) is left") }
    }
}
