#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// A lab for one test: a name and subnet no other test (in this run or a parallel one)
/// uses, a folder of its own, and `remove()` for `defer` that tears down and then checks
/// that nothing of the lab is left in the kernel or the process table.
struct TestLab {
    let addressing: LabAddressing
    let directory: String

    private static let counter = Atomic<Int>(0)
    private static let base = Int.random(in: 0..<150)

    init() throws {
        let n = Self.counter.add(1, ordering: .relaxed).newValue
        // "t" + 4 hex digits of randomness + a counter: unique across concurrent test runs.
        let name = "t" + String(format: "%04x", UInt16.random(in: 0...UInt16.max)) + String(n % 100)
        // Subnets 10.77.100–249: the default lab (10.77.0) and hand-made ones stay free.
        // Consecutive within this process (never two alike), from a random start.
        let index = 100 + (Self.base + n) % 150
        guard case .success(let a) = LabAddressing.make(name: name, subnetIndex: index) else { throw TestLabError("bad test name \(name)") }
        addressing = a
        directory = "/tmp/fl-labtest-\(name)"
    }

    func options(hosts: Int = 3, service: LabService = .etcd, agents: Bool = false) -> LabOptions {
        LabOptions(addressing: addressing, directory: directory, hosts: hosts, service: service,
                   agents: agents, agentBinary: TestLab.agentBinary, readyTimeout: 30)
    }

    /// Tears the lab down and records an issue for anything left behind.
    func remove() {
        do { try Lab.down(addressing: addressing, directory: directory) } catch { Issue.record("lab down: \(error)") }
        for leftover in leftovers() { Issue.record("left behind: \(leftover)") }
    }

    /// Everything of this lab that exists: namespaces, links, processes naming its folder,
    /// nftables tables or qdiscs on links named with its prefix, its folder.
    func leftovers() -> [String] {
        var found: [String] = []
        found += ((try? LabNetwork.namespaces(prefix: addressing.prefix)) ?? []).map { "namespace \($0)" }
        found += ((try? LabNetwork.links(prefix: addressing.prefix)) ?? []).map { "link \($0)" }
        found += LabProcesses.findByMarker(directory + "/").map { "process \($0): \(LabProcesses.commandLine($0) ?? [])" }
        let tables = (try? Spawn.run(["/usr/sbin/nft", "list", "tables"]).stdout) ?? ""
        found += tables.split(separator: "\n").filter { $0.contains(addressing.prefix) }.map { "nft \($0)" }
        let qdiscs = (try? Spawn.run(["/usr/sbin/tc", "qdisc", "show"]).stdout) ?? ""
        found += qdiscs.split(separator: "\n").filter { $0.contains(addressing.prefix) }.map { "qdisc \($0)" }
        if FileManager.default.fileExists(atPath: directory) { found.append("folder \(directory)") }
        return found
    }

    /// The agent built beside the test bundle, when it runs (`--help` succeeds); nil until
    /// `faultline-agent` exists.
    static let agentBinary: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("faultline-agent").path,
                          root.appendingPathComponent(".build/debug/faultline-agent").path]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
              let out = try? Spawn.run([path, "--help"]), out.status == 0, (out.stdout + out.stderr).contains("--config") else { return nil }
        return path
    }()

    static var hasAgent: Bool { agentBinary != nil }
}

struct TestLabError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
