#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// `lab up` and `lab down` on the real kernel: namespaces, veths, a bridge, processes.
/// Every test builds its own lab (unique name and subnet) and removes it in `defer`.
@Suite(.serialized) struct LabLifecycleTests {
    @Test func hostsReachEachOtherAndDownLeavesNothing() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        let summary = try await Lab.up(lab.options(hosts: 2, service: .noService))
        #expect(summary.state.phase == .up)
        #expect(try LabNetwork.namespaces(prefix: lab.addressing.prefix).sorted() == [lab.addressing.namespace(ofHost: 1), lab.addressing.namespace(ofHost: 2)])
        // Real traffic: from the root namespace (the controller's side) to a closed port on
        // each host. "Connection refused" is the host's own TCP answering through the bridge.
        for i in 1...2 {
            #expect(throws: LabError.self) { try LabHTTP.request("GET", address: lab.addressing.address(ofHost: i), port: 9, path: "/", timeout: 1) }
            let refused = Self.connectError(lab.addressing.address(ofHost: i), port: 9)
            #expect(refused == ECONNREFUSED, "host \(i): errno \(refused)")
        }
        // Inside a host there is no route out of the lab.
        let route = try Spawn.run([LabNetwork.ip, "-n", lab.addressing.namespace(ofHost: 1), "route", "show", "default"])
        #expect(route.stdout.isEmpty)
        // The inventory plans read.
        guard case .success(let inventory) = PlanParser.loadInventory(path: summary.inventoryPath) else {
            Issue.record("inventory unreadable"); return
        }
        #expect(inventory.hosts.map(\.address) == [lab.addressing.address(ofHost: 1), lab.addressing.address(ofHost: 2)])
        #expect(inventory.hosts.first?.agent == "https://\(lab.addressing.address(ofHost: 1)):7433")

        let report = try Lab.down(addressing: lab.addressing, directory: lab.directory)
        #expect(report.namespaces.count == 2)
        #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
        // A second down finds nothing and does not fail.
        let again = try Lab.down(addressing: lab.addressing, directory: lab.directory)
        #expect(again.isEmpty, "\(again)")
    }

    @Test func badInputChangesNothing() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        for (hosts, service, fragment) in [(0, LabService.noService, "--hosts 0: expected 1 to 9"), (10, .noService, "--hosts 10"),
                                           (4, .etcd, "--service etcd needs --hosts 3 or 5")] {
            await #expect { try await Lab.up(lab.options(hosts: hosts, service: service)) } throws: { error in
                "\(error)".contains(fragment)
            }
            #expect(lab.leftovers().isEmpty)
        }
        #expect(LabAddressing.make(name: "Lab-1", subnetIndex: 0).isFailure)
        #expect(LabAddressing.make(name: "abcdefghi", subnetIndex: 0).isFailure)
        #expect(LabAddressing.subnetIndex(parsing: "10.77.300.0/24").isFailure)
        #expect(LabAddressing.subnetIndex(parsing: "192.168.1.0/24").isFailure)
        #expect(LabAddressing.subnetIndex(parsing: "10.77.7.0/24") == .success(7))

        // A lab already up: the second up is refused and the first one is untouched.
        _ = try await Lab.up(lab.options(hosts: 1, service: .noService))
        let before = try LabState.load(directory: lab.directory)
        await #expect { try await Lab.up(lab.options(hosts: 1, service: .noService)) } throws: { "\($0)".contains("already up") }
        #expect(try LabState.load(directory: lab.directory) == before)
        #expect(try LabNetwork.namespaces(prefix: lab.addressing.prefix) == [lab.addressing.namespace(ofHost: 1)])
        // Same name, other folder: refused because the kernel objects exist.
        let other = LabOptions(addressing: lab.addressing, directory: lab.directory + "-other", hosts: 1, service: .noService, agents: false)
        await #expect { try await Lab.up(other) } throws: { "\($0)".contains("exist already") }
        #expect(!FileManager.default.fileExists(atPath: lab.directory + "-other"))
    }

    @Test func downAfterAHalfBuiltUpRemovesEverything() async throws {
        // What a crash half way through `up` leaves: a state file listing objects, some of
        // which were never created, a live process, and a namespace the state does not list.
        let lab = try TestLab()
        defer { lab.remove() }
        let a = lab.addressing
        try LabFiles.makeDirectory(lab.directory + "/logs")
        var state = LabState(name: a.name, subnetIndex: a.subnetIndex, directory: lab.directory, hosts: 3, service: "etcd")
        state.bridge = a.bridge
        state.namespaces = [a.namespace(ofHost: 1), a.namespace(ofHost: 2)]   // n2 recorded, never created
        state.links = [a.vethName(ofHost: 1), a.vethName(ofHost: 2)]
        try state.save()
        try LabNetwork.createBridge(a)
        try LabNetwork.createNamespace(a.namespace(ofHost: 1))
        try LabNetwork.connect(host: 1, a)
        try LabNetwork.createNamespace(a.namespace(ofHost: 3))                 // created, crash before recording
        // A lab process started but never recorded: `down` finds it by the folder in its argv.
        try LabFiles.write("", to: lab.directory + "/logs/follow")
        let pid = try Spawn.detached(LabNetwork.inNamespace(a.namespace(ofHost: 1),
                                     ["/usr/bin/tail", "-f", lab.directory + "/logs/follow"]), log: lab.directory + "/logs/tail.log")
        defer { Glibc.kill(pid, SIGKILL); Spawn.reap(pid) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!lab.leftovers().isEmpty)

        let report = try Lab.down(addressing: a, directory: lab.directory)
        #expect(report.killed.count == 1, "\(report)")
        #expect(Set(report.namespaces) == [a.namespace(ofHost: 1), a.namespace(ofHost: 3)])
        #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
    }

    @Test func downRefusesToKillAReusedPid() throws {
        // A pid recorded in the state whose process is not ours any more (another command
        // line): `down` must not signal it.
        let lab = try TestLab()
        defer { lab.remove() }
        let pid = try Spawn.detached(["/bin/sleep", "300"], log: "/dev/null")
        defer { Glibc.kill(pid, SIGKILL); Spawn.reap(pid) }
        try LabFiles.makeDirectory(lab.directory)
        var state = LabState(name: lab.addressing.name, subnetIndex: lab.addressing.subnetIndex, directory: lab.directory, hosts: 1, service: "none")
        state.processes = [.init(role: "etcd", host: "n1", pid: pid, startTime: LabProcesses.startTime(pid) ?? 0, marker: lab.directory + "/")]
        try state.save()
        let report = try Lab.down(addressing: lab.addressing, directory: lab.directory)
        #expect(report.killed.isEmpty)
        #expect(LabProcesses.state(pid) != nil && LabProcesses.state(pid) != "Z", "the unrelated sleep still runs")
    }

    static func connectError(_ address: String, port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &target.sin_addr)
        let r = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return r == 0 ? 0 : errno
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { return true } else { return false } }
}
