#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// The real binaries against a real lab: `faultline lab up` killed half way, and plans from
/// Experiments/ run by `faultline run` through the agents.
@Suite(.serialized) struct EndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary: String? = {
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("faultline").path,
                          root.appendingPathComponent(".build/debug/faultline").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static var ready: Bool { binary != nil && TestLab.hasAgent }

    @Test(.enabled(if: ready)) func upKilledHalfWayIsRemovedByDown() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        let a = lab.addressing
        let up = Process()
        up.executableURL = URL(fileURLWithPath: Self.binary!)
        up.arguments = ["lab", "up", "--name", a.name, "--subnet", a.subnet, "--dir", lab.directory]
        up.standardOutput = FileHandle.nullDevice
        up.standardError = FileHandle.nullDevice
        try up.run()
        // Kill -9 once it has started processes (agents) but before it is done.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let state = try? LabState.load(directory: lab.directory), !state.processes.isEmpty { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(up.processIdentifier, SIGKILL)
        up.waitUntilExit()
        let state = try #require(try LabState.load(directory: lab.directory))
        #expect(state.phase == .creating, "killed before it finished")
        #expect(!lab.leftovers().isEmpty)

        let report = try Lab.down(addressing: a, directory: lab.directory)
        #expect(!report.killed.isEmpty && report.namespaces.count == 3, "\(report)")
        #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
    }

    @Test(.enabled(if: ready)) func leaderIsolationHoldsWithLinearizableWrites() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        _ = try await Lab.up(lab.options(hosts: 3, service: .etcd, agents: true))
        let out = lab.directory + "-run"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Self.run(["run", "Experiments/etcd-leader-isolation.yaml", "--out", out, "--certs", LabPKI.directory(lab.directory)], lab: lab)
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        let journal = try Self.journal(out)
        #expect(journal["outcome"] as? String == "held")
        #expect(run.output.contains("linearizable ok"), "\(run.output.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: out + "/report.html"))
        // After the heal every member is healthy and follows one leader.
        let leaders = try (1...3).map { try LabEtcd.status(address: lab.addressing.address(ofHost: $0)).leaderID }
        #expect(Set(leaders).count == 1 && leaders[0] != 0)
    }

    struct Run { var status: Int32; var output: String }

    /// Runs `faultline` from the repository root with the test lab as `inventory: lab`.
    static func run(_ arguments: [String], lab: TestLab) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary!)
        p.arguments = arguments
        p.currentDirectoryURL = root
        var environment = ProcessInfo.processInfo.environment
        environment["FAULTLINE_LAB_DIR"] = lab.directory
        environment["PATH"] = (binary! as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        p.environment = environment
        let log = lab.directory + "/logs/run.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return Run(status: p.terminationStatus, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    static func journal(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/journal.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
