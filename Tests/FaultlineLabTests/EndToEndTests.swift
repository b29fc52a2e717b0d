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
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        let junit = try String(contentsOfFile: out + "/junit.xml", encoding: .utf8)
        // The consistency probe is judged by its verdicts: nothing reads "not checked".
        #expect(!junit.contains("<skipped"), "\(junit.prefix(4000))")
        #expect(!html.contains("not checked"))
        #expect(junit.contains("name=\"writes stay linearizable: linearizable\""))

        // The leader the fault was aimed at is named: in the journal, the console and the report.
        let targets = try #require(journal["targets"] as? [[String: Any]])
        let aimed = try #require(targets.first { $0["use"] as? String == "method[0]" }, "\(targets)")
        let leader = try #require((aimed["hosts"] as? [String])?.first)
        #expect(aimed["target"] as? String == "leader" && (aimed["hosts"] as? [String])?.count == 1)
        let faults = try #require(journal["faults"] as? [[String: Any]])
        let partition = try #require(faults.first { $0["host"] as? String == leader }, "the partition was not on \(leader)")
        #expect(run.output.contains("target 'leader' (etcd-leader among etcd) is \(leader) for method[0]"), "\(run.output.suffix(3000))")
        #expect(html.contains("Targets resolved") && html.contains("<strong>\(leader)</strong>"))

        // The failure window: the journal measures it, the report shows it, and its length
        // is what the recorded history says (computed here from the history file).
        let consistency = try #require((journal["consistency"] as? [[String: Any]])?.first)
        let timeline = try #require(consistency["timeline"] as? [String: Any])
        let outage = try #require(timeline["longestFailureRun"] as? [String: Any], "no failure run: the election was not observed")
        let seconds = try #require(outage["seconds"] as? Double), start = try #require(outage["start"] as? Double)
        let historyFile = try #require(consistency["historyFile"] as? String)
        let fromHistory = try Self.longestUnansweredRun(historyFile)
        #expect(abs(seconds - fromHistory) <= 0.5, "journal \(seconds) s, history \(fromHistory) s")
        let applied = try #require(partition["appliedAt"] as? Double), reverted = try #require(partition["revertedAt"] as? Double)
        #expect(start >= applied - 0.5 && start <= reverted, "the outage began at \(start), the partition held \(applied)–\(reverted)")
        #expect(html.contains("Workload over time") && html.contains("Longest failure run, all clients"))
        print("leader isolation: leader \(leader); no answer for \(seconds) s (history says \(fromHistory) s) from +\(start)")

        // After the heal every member is healthy and follows one leader.
        let leaders = try (1...3).map { try LabEtcd.status(address: lab.addressing.address(ofHost: $0)).leaderID }
        #expect(Set(leaders).count == 1 && leaders[0] != 0)
    }

    /// The longest run of consecutive unanswered operations (in send order, all clients) in
    /// a Faultline history file, in seconds, read straight from the file: answered means
    /// `ok`, or a `cas` that `fail`ed (a mismatch is an answer); final reads left out.
    static func longestUnansweredRun(_ path: String) throws -> Double {
        struct Op { var invoke: Double; var end: Double; var answered: Bool }
        var ops: [Op] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let invoke = o["invoke"] as? Double else { continue }
            if o["final"] as? Bool == true { continue }
            let outcome = o["outcome"] as? String
            ops.append(Op(invoke: invoke / 1e9, end: ((o["complete"] as? Double) ?? invoke) / 1e9,
                          answered: outcome == "ok" || (outcome == "fail" && o["op"] as? String == "cas")))
        }
        ops.sort { $0.invoke < $1.invoke }
        var best = 0.0, start: Double?, end = 0.0
        for op in ops {
            if op.answered { start = nil; continue }
            if start == nil { start = op.invoke; end = op.end } else { end = max(end, op.end) }
            best = max(best, end - start!)
        }
        return best
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
