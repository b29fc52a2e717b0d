import Foundation
import Testing

/// Runs the real `faultline` binary (built by `swift build`, which `make test` runs
/// first) and pins its output, errors and exit codes, as swift-argument-parser's example
/// tests do.
struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        // The test bundle sits beside the products in .build/<triple>/debug.
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("faultline"),
                          root.appendingPathComponent(".build/debug/faultline")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    func faultline(_ arguments: String...) throws -> Run { try faultline(arguments) }

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "run `swift build` before `swift test` (make test does)")
    }

    @Test func validateAcceptsEveryExperiment() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Experiments").path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("inventory") }.sorted().map { "Experiments/" + $0 }  // inventories are not plans
        let run = try faultline(["validate"] + files)
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.split(separator: "\n").count == files.count)
    }

    func faultline(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func invalidPlanExitsThreeWithLocatedErrors() throws {
        let run = try faultline("validate", "Tests/FaultlinePlanTests/Malformed/many-errors.yaml", "Experiments/ci-gate.yaml")
        #expect(run.status == 3)
        #expect(run.stdout == """
        Tests/FaultlinePlanTests/Malformed/many-errors.yaml:7:37: error: method[0].latency.delay: expected a duration above 0, found 0s
        Tests/FaultlinePlanTests/Malformed/many-errors.yaml:8:21: error: method[1].loss.target: there is no target 'nope'; defined targets: etcd
        Tests/FaultlinePlanTests/Malformed/many-errors.yaml:9:38: error: method[2].bandwidth.rate: 'fast' is not a rate; write e.g. 500kbit, 10mbit or 1gbit
        Experiments/ci-gate.yaml: valid
        3 errors in 1 of 2 plans

        """)
    }

    @Test func jsonFormatIsForTools() throws {
        let run = try faultline("validate", "--format", "json", "Tests/FaultlinePlanTests/Malformed/unknown-target.yaml")
        #expect(run.status == 3)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]
        let first = try #require(json?.first)
        #expect(first["valid"] as? Bool == false)
        let d = try #require((first["diagnostics"] as? [[String: Any]])?.first)
        #expect(d["line"] as? Int == 7)
        #expect(d["column"] as? Int == 24)
        #expect(d["field"] as? String == "method[0].latency.target")
        #expect(d["suggestion"] as? String == "etcd")
    }

    @Test func missingFileIsAnInvalidPlan() throws {
        let run = try faultline("validate", "no-such-plan.yaml")
        #expect(run.status == 3)
        #expect(run.stdout.hasPrefix("no-such-plan.yaml:0:0: error: no such file"))
    }

    @Test func planPrintsATimeline() throws {
        let run = try faultline("plan", "Experiments/etcd-partition-halves.yaml", "--seed", "3")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Seed       3 (--seed)"))
        #expect(run.stdout.contains("0s → 15s           partition: halves of etcd"))
        #expect(run.stdout.contains("n1 ✕ n2"))
        #expect(run.stdout.contains("20s → 35s          partition: bridge across etcd"))
    }

    @Test func planOfAnInvalidPlanExitsThree() throws {
        let run = try faultline("plan", "Tests/FaultlinePlanTests/Malformed/zero-duration.yaml")
        #expect(run.status == 3)
        #expect(run.stderr.contains("zero-duration.yaml:7:54: error: method[0].latency.duration"))
    }

    @Test func helpHasAbstractGroupsExamplesAndExitCodes() throws {
        let run = try faultline("--help")
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("OVERVIEW: Run chaos experiments against Linux hosts and check that the system\nkept its promises."))
        for line in ["faultline validate Experiments/*.yaml", "faultline plan Experiments/etcd-leader-isolation.yaml --seed 7",
                     "0  the hypothesis held", "3  the plan is invalid", "4  the run could not start", "PLANS SUBCOMMANDS:"] {
            #expect(run.stdout.contains(line), "help lacks '\(line)'")
        }
    }
}

/// `faultline check` on Porcupine's histories (Tests/Fixtures/porcupine in the repository):
/// one verdict line per file and the documented exit codes.
struct CheckCommandTests {
    static let data = CLITests.root.appendingPathComponent("Tests/Fixtures/porcupine/test_data")

    func run(_ arguments: [String]) throws -> CLITests.Run { try CLITests().faultline(["check"] + arguments) }

    @Test func linearizableHistoryExitsZero() throws {
        let r = try run([Self.data.appendingPathComponent("jepsen/etcd_002.log").path, "--model", "cas"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("ok"))
    }

    @Test func violationExitsOneAndOutranksOk() throws {
        let r = try run([Self.data.appendingPathComponent("jepsen/etcd_002.log").path,
                         Self.data.appendingPathComponent("jepsen/etcd_000.log").path, "--model", "cas"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("violation"))
    }

    @Test func unreadableFileExitsThree() throws {
        let r = try run(["no-such-history.jsonl", "--model", "kv"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("no-such-history.jsonl: cannot read: no such file"))
    }

    @Test func timeoutTakesPlanDurations() throws {
        let bad = try run([Self.data.appendingPathComponent("kv/c01-ok.txt").path, "--model", "kv", "--timeout", "10"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--timeout: expected a duration such as 10s, 500ms or 1m30s, found '10'"))
        let good = try run([Self.data.appendingPathComponent("kv/c01-ok.txt").path, "--model", "kv", "--timeout", "1m30s"])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
    }
}
