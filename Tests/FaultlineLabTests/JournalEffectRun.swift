#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation
@testable import FaultlineLab

/// `faultline run PLAN` against a test lab, from the repository's root (plans name
/// helper programs by relative path, as users run them), with the lab as `inventory: lab`.
/// The journal and report go into the lab's folder, so `lab.remove()` removes them too.
struct EffectRun {
    var status: Int32
    var output: String
    var folder: String

    /// Runs the plan to completion, or kills it after `timeout` seconds (a failed test then).
    static func run(_ plan: String, lab: TestLab, timeout: Double = 180) throws -> EffectRun {
        guard let binary = EndToEndTests.binary else { throw TestFailure("faultline is not built") }
        let folder = lab.directory + "/run-\(UniqueName.random4())"
        let log = lab.directory + "/logs/run-\(UniqueName.random4()).log"
        var environment = ProcessInfo.processInfo.environment
        environment["FAULTLINE_LAB_DIR"] = lab.directory
        environment["PATH"] = (binary as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        // env -C: start in the repository's root without a shell.
        let process = try SpawnedProcess(["/usr/bin/env", "-C", EndToEndTests.root.path, binary, "run", plan,
                                          "--out", folder, "--certs", LabPKI.directory(lab.directory)],
                                         logPath: log, environment: environment)
        let status = process.waitForExit(seconds: timeout)
        if status == nil { process.signal(SIGINT); _ = process.waitForExit(seconds: 15) }
        process.kill()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard let status else { throw TestFailure("faultline run \(plan) did not end within \(Int(timeout)) s:\n\(output.suffix(3000))") }
        return EffectRun(status: status, output: output, folder: folder)
    }

    func journal() throws -> EffectJournal { try EffectJournal.read(folder + "/journal.json") }
}
